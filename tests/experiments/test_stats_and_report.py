"""Seed statistics, the 'beats' rule, result files -> markdown / metafile, and the runner's reuse of results."""
import json
import os.path as osp

import pytest
import yaml

from sugar_mm.experiments import (Row, SeedRunner, SeedStats, compare, machine_info, markdown_table, merge_records,
                                  metafile, metric_values, parse_test_metrics, table_record)


def test_seed_stats_use_the_sample_std_and_format_with_the_spread():
    s = SeedStats.of({0: 0.70, 1: 0.72, 2: 0.74})
    assert s.n == 3 and abs(s.mean - 0.72) < 1e-12 and abs(s.std - 0.02) < 1e-12
    assert s.format() == '72.0 ± 2.0 (3; 70.0-74.0)'
    assert SeedStats.of({5: 0.5}).format() == '50.0 (1 seed)'
    with pytest.raises(ValueError):
        SeedStats.of({})


def test_compare_needs_same_signed_pairs_or_a_gap_over_two_std():
    assert compare({0: .8, 1: .7, 2: .9}, {0: .75, 1: .69, 2: .85}) == 'higher'  # every pair higher
    assert compare({0: .75, 1: .69, 2: .85}, {0: .8, 1: .7, 2: .9}) == 'lower'
    assert compare({0: .8, 1: .6, 2: .9}, {0: .7, 1: .7, 2: .8}) == 'within noise'  # mixed signs, small gap
    # one tie, gap far beyond both spreads
    assert compare({0: .80, 1: .81, 2: .80, 3: .79}, {0: .50, 1: .52, 2: .80, 3: .51}) == 'within noise'
    assert compare({0: .80, 1: .81, 2: .80, 3: .79}, {0: .50, 1: .52, 2: .51, 3: .50}) == 'higher'
    assert compare({0: .9, 1: .9}, {0: .1, 1: .1}) == 'within noise'  # fewer than 3 common seeds


def _result(seed, top1, cpu='AMD EPYC'):
    return dict(name='r', config='c.py', seed=seed, train_minutes=2.0, params=1000,
                tests=dict(default={'acc/top1': top1, 'acc/top5': 0.9}),
                machine=dict(machine_info(), cpu=cpu))


def test_markdown_and_metafile_carry_every_seed_and_machine():
    rows = [Row('r', 'configs/x.py', label='my row')]
    record = table_record('t', rows, {'r': {'0': _result(0, 0.7), '1': _result(1, 0.8, cpu='Intel Xeon')}})
    md = markdown_table(record, ['acc/top1', 'acc/top5'])
    assert '| my row | `configs/x.py` | 0 1 | 75.0 ± 7.1 (2; 70.0-80.0) | 90.0 ± 0.0' in md
    meta = metafile([record])
    model = meta['Models'][0]
    assert model['Results'][0]['Metrics']['acc/top1']['seeds'] == {0: 70.0, 1: 80.0}
    assert len(model['Metadata']['Training Resources']) == 2  # two machines named
    yaml.safe_load(yaml.safe_dump(meta))  # writable as YAML


def test_merge_keeps_seeds_not_redone():
    rows = [Row('r', 'c.py')]
    old = table_record('t', rows, {'r': {'0': _result(0, 0.1), '1': _result(1, 0.2)}})
    new = table_record('t', rows, {'r': {'1': _result(1, 0.3), '2': _result(2, 0.4)}})
    merged = merge_records(old, new)
    assert metric_values(merged['rows']['r']['seeds'], 'acc/top1') == {0: 0.1, 1: 0.3, 2: 0.4}


def test_runner_reuses_a_finished_seed_and_collects_only_finished_ones(tmp_path):
    runner = SeedRunner(str(tmp_path), 'exp', rows=lambda name: None)
    wd = tmp_path / 'exp' / 'r' / 'seed3'
    wd.mkdir(parents=True)
    (wd / 'result.json').write_text(json.dumps(_result(3, 0.5)))
    (tmp_path / 'exp' / 'r' / 'seed4').mkdir()  # unfinished: no result.json
    row = Row('r', 'c.py')
    assert runner.run(row, 3)['tests']['default']['acc/top1'] == 0.5  # reused: nothing is trained
    assert list(runner.collect(row)) == ['3']


def test_a_checkpoint_of_row_tests_the_source_rows_checkpoint_without_training(tmp_path):
    """``Row(checkpoint_of=...)``: its tools/test.py gets the source row's checkpoint and its own test options."""
    import torch
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'test.py').write_text(
        'import sys\nprint("argv", " ".join(sys.argv[1:]))\nprint("Epoch(test) [1/1]  acc/top1: 0.2500")\n')
    (tmp_path / 'tools' / 'train.py').write_text('raise SystemExit("nothing may be trained")\n')
    src = tmp_path / 'exp' / 'src' / 'seed0'
    src.mkdir(parents=True)
    torch.save(dict(state_dict=dict(w=torch.zeros(3, 2))), src / 'epoch_2.pth')
    (src / 'last_checkpoint').write_text(str(src / 'epoch_2.pth'))
    (src / 'result.json').write_text(json.dumps(dict(_result(0, 0.5), train_minutes=1.5)))
    rows = dict(src=Row('src', 'c.py'), clips=Row('clips', 'c.py', test_options=['a.b=5'], checkpoint_of='src'))
    res = SeedRunner(str(tmp_path), 'exp', rows=rows.__getitem__).run(rows['clips'], 0)
    assert res['checkpoint'] == str(src / 'epoch_2.pth') and res['train_minutes'] == 1.5 and res['params'] == 6
    assert res['tests']['default']['acc/top1'] == 0.25
    log = (tmp_path / 'exp' / 'clips' / 'seed0' / 'test_default.log').read_text()
    assert f'c.py {src / "epoch_2.pth"}' in log and '--cfg-options a.b=5' in log


def test_parse_test_metrics_reads_the_last_test_line(tmp_path):
    log = osp.join(tmp_path, 'test.log')
    with open(log, 'w') as f:
        f.write('x Epoch(test) [1/1]  acc/top1: 0.5000  data_time: 0.1\n'
                'y Epoch(test) [1/1]  llm/top1: 0.7253  llm/parse_failure_rate: 0.0000  time: 2.0\n')
    assert parse_test_metrics(log) == {'llm/top1': 0.7253, 'llm/parse_failure_rate': 0.0}
    with open(log, 'w') as f:
        f.write('nothing\n')
    with pytest.raises(SystemExit, match='Epoch\\(test\\)'):
        parse_test_metrics(log)


def test_claim_sentences_follow_the_compare_rule():
    from sugar_mm.experiments.report import claim_sentence
    a, b = {0: 0.80, 1: 0.70, 2: 0.75}, {0: 0.78, 1: 0.69, 2: 0.73}
    text = claim_sentence('A vs B', a, b, ('a', 'b'))
    assert text.endswith('**higher**.') and '+2.0, +1.0, +2.0' in text  # every pair of one sign
    assert claim_sentence('B vs A', b, a).endswith('**lower**.')
    assert claim_sentence('mixed', {0: 0.8, 1: 0.6, 2: 0.7}, {0: 0.7, 1: 0.7, 2: 0.7}).endswith('**within noise**.')
    assert 'not compared (2 common seed(s)' in claim_sentence('few', {0: 0.9, 1: 0.9}, {0: 0.1, 1: 0.1, 5: 0.1})


def test_render_blocks_rewrites_only_the_generated_blocks():
    from sugar_mm.experiments.report import render_blocks
    text = 'hand\n<!-- generated:t -->\nold\n<!-- /generated:t -->\nkept <!-- generated:u -->x<!-- /generated:u -->'
    out = render_blocks(text, dict(t='| new |', u='y'))
    assert out == 'hand\n<!-- generated:t -->\n| new |\n<!-- /generated:t -->\nkept <!-- generated:u -->\ny\n' \
                  '<!-- /generated:u -->'
    assert render_blocks(out, dict(t='| new |', u='y')) == out  # idempotent
    with pytest.raises(KeyError, match="unknown generated block 'u'"):
        render_blocks(text, dict(t='z'))


def test_load_run_reopens_a_finished_run_with_its_checkpoint_and_options(tmp_path):
    from sugar_mm.experiments.runner import load_run, parse_options
    assert parse_options(['a.b=1', 'c=None', 'd=x', 'e=[1, 2]']) == {'a.b': 1, 'c': None, 'd': 'x', 'e': [1, 2]}
    with pytest.raises(ValueError, match='key=value'):
        parse_options(['oops'])
    wd = tmp_path / 'r' / 'seed1'
    wd.mkdir(parents=True)
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_3.pth') + '\n')
    (wd / 'result.json').write_text(json.dumps(dict(_result(1, 0.5), options=['m.x=2'])))
    spec = load_run(str(wd))
    assert (spec.name, spec.config, spec.checkpoint, spec.options) == ('r seed 1', 'c.py', str(wd / 'epoch_3.pth'),
                                                                       {'m.x': 2})
    (wd / 'result.json').write_text(json.dumps(dict(_result(1, 0.5), checkpoint='/src/epoch_9.pth')))
    assert load_run(str(wd)).checkpoint == '/src/epoch_9.pth'  # a checkpoint_of row: the source's checkpoint
    with pytest.raises(FileNotFoundError, match='no result.json'):
        load_run(str(tmp_path))


def test_run_arguments_name_runs_or_a_config_and_checkpoint(tmp_path):
    import argparse
    from sugar_mm.experiments.runner import add_run_arguments, runs_from_args
    p = argparse.ArgumentParser()
    add_run_arguments(p)
    specs = runs_from_args(p, p.parse_args(['--config', 'c.py', '--checkpoint', 'x.pth', '--cfg-options', 'a=1']))
    assert [(s.config, s.checkpoint, s.options) for s in specs] == [('c.py', 'x.pth', {'a': 1})]
    for bad in ([], ['--config', 'c.py']):
        with pytest.raises(SystemExit):
            runs_from_args(p, p.parse_args(bad))


def test_a_row_is_tested_with_its_training_options_unless_it_names_its_own(tmp_path):
    """An option that changes the model (e.g. ``model.keep_temporal_resolution=False``) must reach tools/test.py."""
    for name, body in (('train.py', 'import os, sys, torch\nwd = sys.argv[sys.argv.index("--work-dir") + 1]\n'
                                    'torch.save(dict(state_dict={}), os.path.join(wd, "epoch_1.pth"))\n'
                                    'open(os.path.join(wd, "last_checkpoint"), "w").write('
                                    'os.path.join(wd, "epoch_1.pth"))\n'),
                       ('test.py', 'import sys\nprint("argv", " ".join(sys.argv[1:]))\n'
                                   'print("Epoch(test) [1/1]  acc/top1: 0.2500")\n')):
        (tmp_path / 'tools').mkdir(exist_ok=True)
        (tmp_path / 'tools' / name).write_text(body)
    runner = SeedRunner(str(tmp_path), 'exp', rows=lambda name: None)  # (no stage-1 rows)
    runner.run(Row('tds', 'c.py', ['model.keep_temporal_resolution=False']), 0)
    runner.run(Row('own', 'c.py', ['a.b=1'], ['c.d=2']), 0)
    logs = {r: (tmp_path / 'exp' / r / 'seed0' / 'test_default.log').read_text() for r in ('tds', 'own')}
    assert '--cfg-options model.keep_temporal_resolution=False' in logs['tds']
    assert '--cfg-options c.d=2' in logs['own'] and 'a.b=1' not in logs['own']
