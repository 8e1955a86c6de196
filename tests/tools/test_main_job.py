"""The main job (sugar_mm.apis.main_job, tools/main_job.py) reuses a finished stage only when what it trained is
unchanged."""
import json
import os.path as osp

from sugar_mm.apis import main_job as mj


def test_fingerprint_follows_config_options_seed_and_upstream(tmp_path):
    s1, s2 = mj.CONFIGS['full']
    key = mj.fingerprint(s2, ['model.encoder_checkpoint=a'], 0, upstream='x')
    assert key == mj.fingerprint(s2, ['model.encoder_checkpoint=a'], 0, upstream='x')  # deterministic
    assert key != mj.fingerprint(s2, ['model.encoder_checkpoint=b'], 0, upstream='x')
    assert key != mj.fingerprint(s2, ['model.encoder_checkpoint=a'], 1, upstream='x')
    assert key != mj.fingerprint(s2, ['model.encoder_checkpoint=a'], 0, upstream='y')
    assert key != mj.fingerprint(mj.CONFIGS['quick'][1], ['model.encoder_checkpoint=a'], 0, upstream='x')
    # a change in an inherited base changes the fingerprint of the child
    base = tmp_path / 'base.py'
    child = tmp_path / 'child.py'
    base.write_text('a = 1\n')
    child.write_text("_base_ = ['base.py']\nb = 2\n")
    before = mj.fingerprint(str(child), [], 0)
    base.write_text('a = 3\n')
    assert mj.fingerprint(str(child), [], 0) != before


def test_finished_needs_the_product_and_a_matching_stamp(tmp_path):
    wd = str(tmp_path / 'stage')
    product = osp.join(wd, 'encoder.pth')
    assert not mj.finished(wd, 'k', product)
    (tmp_path / 'stage').mkdir()
    (tmp_path / 'stage' / 'encoder.pth').write_bytes(b'x')
    assert not mj.finished(wd, 'k', product)  # a product without a stamp: made by an unknown run
    mj.mark_finished(wd, 'k')
    assert mj.finished(wd, 'k', product)
    assert not mj.finished(wd, 'other', product)
    assert not mj.finished(wd, 'k', None)  # no checkpoint recorded


def test_expected_range_says_whether_a_result_is_normal(tmp_path):
    from sugar_mm.apis.main_job import expected_range
    from sugar_mm.experiments import machine_info
    assert expected_range(0.7, repo=str(tmp_path))[1] is None  # nothing shipped
    machine = dict(machine_info(), cpu='AMD EPYC', date='2026-12-01 12:00 UTC')
    seeds = {str(s): dict(tests=dict(default={'llm/top1': v}), machine=machine)
             for s, v in enumerate((0.70, 0.72, 0.74))}
    (tmp_path / 'results' / 'msr3d').mkdir(parents=True)
    (tmp_path / 'results' / 'msr3d' / 'stage2.json').write_text(
        json.dumps(dict(table='stage2', rows={mj.EXPECTED['full'][1]: dict(row={}, seeds=seeds)})))
    text, inside = expected_range(0.71, repo=str(tmp_path))
    assert inside and '72.0 ± 2.0%' in text and 'AMD EPYC' in text and '2026-12-01' in text
    text, inside = expected_range(0.55, repo=str(tmp_path))
    assert inside is False and 'OUTSIDE' in text
    assert expected_range(0.5, quick=True, repo=str(tmp_path))[1] is None
