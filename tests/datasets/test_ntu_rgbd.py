"""NTU RGB+D converter: small ``.skeleton`` files written here in the real NTU text format."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from sugar_mm.datasets.converters import ntu_rgbd
from sugar_mm.datasets.converters.ntu_rgbd import NTUFormatError, convert_ntu, load_missing_list
from tests.datasets.ntu_files import BODY_ID_A, BODY_ID_B, joints_of, lines_of, one_person, write_skeleton


def test_shipped_missing_lists():
    m60, m120 = load_missing_list('ntu60'), load_missing_list('ntu120')
    assert len(m60) == 302 and len(m120) == 535
    assert 'S001C003P002R001A055' in m60 and m60 <= m120


MISSING = 'S001C003P002R001A055'  # first lines of the official NTU60 missing-skeleton list


def make_raw(root) -> dict:
    """A raw folder (two sub-folders, like the two NTU zips) with one sample per case."""
    a = osp.join(root, 'nturgbd_skeletons_s001_to_s017')
    b = osp.join(root, 'nturgbd_skeletons_s018_to_s032')
    os.makedirs(a)
    os.makedirs(b)
    two = []
    for t in range(5):
        if t == 2:
            two.append([])
        elif t == 0:
            two.append([(BODY_ID_A, joints_of(1.0, t, 0.2))])
        else:
            two.append([(BODY_ID_A, joints_of(1.0, t, 0.2)), (BODY_ID_B, joints_of(-1.0, t, 0.05))])
    files = {
        'S001C001P001R001A001': (a, one_person(3, 0.1)),   # xsub train (P001), xview val (C001)
        'S001C002P003R002A050': (a, two),                   # xsub val (P003), xview train (C002), 2 persons
        'S017C003P008R001A060': (a, one_person(4, 0.2)),   # last NTU60 setup/action: train / train
        MISSING: (a, one_person(3, 0.3)),                  # valid, but in the missing list: skipped
        'S002C001P004R001A002': (a, [[], [], []]),          # no body in any frame: excluded
        'S018C002P045R001A061': (b, one_person(2, 0.4)),   # NTU120 only
        'S001C001P001R001A061': (a, one_person(2, 0.4)),   # action 61 in setup 1: NTU120 only
    }
    for name, (folder, frames) in files.items():
        write_skeleton(osp.join(folder, name + '.skeleton'), frames)
    bad = osp.join(a, 'S002C001P004R001A010.skeleton')  # malformed: excluded with file and line
    lines = lines_of(one_person(2, 0.6))
    lines[12] = lines[12] + ' 7'
    with open(bad, 'w') as f:
        f.write('\r\n'.join(lines) + '\r\n')
    with open(osp.join(a, 'readme_S1.skeleton'), 'w') as f:
        f.write('0\n')
    with open(osp.join(a, 'notes.txt'), 'w') as f:
        f.write('not a skeleton\n')
    return dict(root=str(root), a=a, b=b, bad=bad)


def by_name(data):
    return {ann['frame_dir']: ann for ann in data['annotations']}


def test_convert_ntu60(tmp_path):
    raw = make_raw(tmp_path / 'raw')
    logs = []
    data = convert_ntu(raw['root'], 'ntu60', log=logs.append)
    anns = by_name(data)
    assert sorted(anns) == ['S001C001P001R001A001', 'S001C002P003R002A050', 'S017C003P008R001A060']
    assert [a['frame_dir'] for a in data['annotations']] == sorted(anns)  # sorted, deterministic
    a1, a50, a60 = anns['S001C001P001R001A001'], anns['S001C002P003R002A050'], anns['S017C003P008R001A060']
    assert (a1['label'], a50['label'], a60['label']) == (0, 49, 59)
    assert a1['keypoint'].dtype == np.float32 and a1['keypoint'].shape == (1, 3, 25, 3)
    assert a1['total_frames'] == 3
    np.testing.assert_allclose(a1['keypoint'][0, 2], joints_of(0.1, 2, 0.05), atol=1e-5)
    assert a50['keypoint'].shape == (2, 5, 25, 3) and a50['total_frames'] == 5
    np.testing.assert_allclose(a50['keypoint'][0, 4], joints_of(1.0, 4, 0.2), atol=1e-5)
    np.testing.assert_allclose(a50['keypoint'][1, 4], joints_of(-1.0, 4, 0.05), atol=1e-5)
    assert not a50['keypoint'][:, 2].any() and not a50['keypoint'][1, 0].any()
    assert (a50['setup'], a50['camera'], a50['subject'], a50['replication']) == (1, 2, 3, 2)

    assert data['split'] == {
        'xsub_train': ['S001C001P001R001A001', 'S017C003P008R001A060'],
        'xsub_val': ['S001C002P003R002A050'],
        'xview_train': ['S001C002P003R002A050', 'S017C003P008R001A060'],
        'xview_val': ['S001C001P001R001A001'],
    }
    text = '\n'.join(logs)
    assert f'skipped {MISSING}: in the missing-skeleton list' in text
    assert 'excluded S002C001P004R001A002: no body in any of the 3 frames' in text
    assert f'excluded S002C001P004R001A010: {raw["bad"]}, line 13: expected 12 joint values' in text
    assert 'readme_S1.skeleton: name does not match' in text
    assert '2 files outside ntu60' in text


def test_convert_ntu120_splits(tmp_path):
    raw = make_raw(tmp_path / 'raw')
    data = convert_ntu([raw['a'], raw['b']], 'ntu120', log=lambda s: None)
    anns = by_name(data)
    assert sorted(anns) == ['S001C001P001R001A001', 'S001C001P001R001A061', 'S001C002P003R002A050',
                            'S017C003P008R001A060', 'S018C002P045R001A061']
    assert anns['S018C002P045R001A061']['label'] == 60
    assert data['split'] == {
        # NTU120 training subjects include 1, 8 and 45, not 3
        'xsub_train': ['S001C001P001R001A001', 'S001C001P001R001A061', 'S017C003P008R001A060',
                       'S018C002P045R001A061'],
        'xsub_val': ['S001C002P003R002A050'],
        # even setups train
        'xset_train': ['S018C002P045R001A061'],
        'xset_val': ['S001C001P001R001A001', 'S001C001P001R001A061', 'S001C002P003R002A050',
                     'S017C003P008R001A060'],
    }


def test_official_protocol_ids():
    p = ntu_rgbd.load_protocols()
    assert p['ntu60_xview_train_cameras'] == [2, 3]
    assert len(p['ntu60_xsub_train_subjects']) == 20 and len(p['ntu120_xsub_train_subjects']) == 53
    assert p['ntu120_xset_train_setups'] == list(range(2, 33, 2))


def test_strict_raises_on_malformed(tmp_path):
    raw = make_raw(tmp_path / 'raw')
    with pytest.raises(NTUFormatError, match=r'S002C001P004R001A010\.skeleton, line 13'):
        convert_ntu(raw['root'], 'ntu60', strict=True, log=lambda s: None)


def test_custom_missing_list(tmp_path):
    raw = make_raw(tmp_path / 'raw')
    data = convert_ntu(raw['root'], 'ntu60', missing=['S001C001P001R001A001'], log=lambda s: None)
    names = set(by_name(data))
    assert MISSING in names and 'S001C001P001R001A001' not in names


def test_resume_after_interruption(tmp_path, monkeypatch):
    raw = make_raw(tmp_path / 'raw')
    work = str(tmp_path / 'out.pkl.work')
    reference = convert_ntu(raw['root'], 'ntu60', log=lambda s: None)

    class Stop(Exception):
        pass

    def interrupting(it, total):
        assert total == 5  # 3 good + 1 without bodies + 1 malformed (missing-list and NTU120 files not read)
        for i, x in enumerate(it):
            if i == 2:
                raise Stop
            yield x

    with pytest.raises(Stop):
        convert_ntu(raw['root'], 'ntu60', work_dir=work, chunk_size=1, log=lambda s: None, progress=interrupting)
    done = sorted(os.listdir(work))
    assert done == ['chunk_00000.pkl', 'chunk_00001.pkl']

    calls = []
    original = ntu_rgbd.read_skeleton_file
    monkeypatch.setattr(ntu_rgbd, 'read_skeleton_file', lambda p: calls.append(osp.basename(p)) or original(p))
    logs = []
    resumed = convert_ntu(raw['root'], 'ntu60', work_dir=work, chunk_size=1, log=logs.append)
    assert len(calls) == 3  # only the files not converted before the interruption
    assert any('resuming: 2 of 5 files already converted' in s for s in logs)
    assert resumed['split'] == reference['split']
    for x, y in zip(resumed['annotations'], reference['annotations']):
        assert x['frame_dir'] == y['frame_dir'] and np.array_equal(x['keypoint'], y['keypoint'])
    # exclusions cached in the first run are still logged
    assert any('excluded S002C001P004R001A002' in s for s in logs)

    # a changed file is converted again, the others come from the cache
    calls.clear()
    target = osp.join(raw['a'], 'S001C001P001R001A001.skeleton')
    write_skeleton(target, one_person(7, 0.9))
    st = os.stat(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = convert_ntu(raw['root'], 'ntu60', work_dir=work, chunk_size=1, log=lambda s: None)
    assert calls == ['S001C001P001R001A001.skeleton']
    assert by_name(again)['S001C001P001R001A001']['total_frames'] == 7


def test_workers_give_the_same_result(tmp_path):
    raw = make_raw(tmp_path / 'raw')
    serial = convert_ntu(raw['root'], 'ntu60', log=lambda s: None)
    parallel = convert_ntu(raw['root'], 'ntu60', workers=2, chunk_size=2, work_dir=str(tmp_path / 'w'),
                           log=lambda s: None)
    assert parallel['split'] == serial['split']
    assert [a['frame_dir'] for a in parallel['annotations']] == [a['frame_dir'] for a in serial['annotations']]
    for x, y in zip(parallel['annotations'], serial['annotations']):
        assert np.array_equal(x['keypoint'], y['keypoint'])


def test_no_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='no ntu60 .skeleton files'):
        convert_ntu(str(tmp_path), 'ntu60', log=lambda s: None)
    with pytest.raises(ValueError, match='dataset must be one of'):
        convert_ntu(str(tmp_path), 'ntu90')


def test_cli_and_pose_dataset(tmp_path):
    import importlib.util
    raw = make_raw(tmp_path / 'raw')
    spec = importlib.util.spec_from_file_location(
        'ntu_cli', osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data', 'ntu_rgbd.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'ntu60_3d.pkl')
    assert cli.main([raw['a'], out, '--dataset', 'ntu60']) == 0
    assert not osp.exists(out + '.work')
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert set(data) == {'split', 'annotations'}
    assert set(data['split']) == {'xsub_train', 'xsub_val', 'xview_train', 'xview_val'}

    from mmaction.datasets import PoseDataset
    ds = PoseDataset(ann_file=out, pipeline=[], split='xsub_train')
    assert sorted(d['frame_dir'] for d in ds) == ['S001C001P001R001A001', 'S017C003P008R001A060']
