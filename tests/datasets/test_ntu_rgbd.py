"""NTU RGB+D converter: small ``.skeleton`` files written here in the real NTU text format."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from sugar_mm.datasets.converters import ntu_rgbd
from sugar_mm.datasets.converters.ntu_rgbd import (NTUFormatError, convert_ntu, load_missing_list,
                                                   parse_sample_name, read_skeleton_file, select_bodies)

BODY_ID_A = '72057594037931101'
BODY_ID_B = '72057594037931102'
BODY_ID_C = '72057594037931103'


def joints_of(seed: float, t: int = 0, amplitude: float = 0.0) -> np.ndarray:
    """Deterministic (25, 3) coordinates, distinct per seed; ``amplitude`` moves them with ``t``."""
    v = np.arange(25, dtype=np.float64)[:, None]
    base = np.concatenate([0.01 * v + seed, -0.02 * v + 0.5 * seed, 3.0 + 0.001 * v + 0.1 * seed], axis=1)
    return np.round(base + amplitude * np.sin(t + v / 7.0), 6)


def body_lines(body_id: str, xyz: np.ndarray) -> list:
    """One body in the real layout: 10 body-info values, jointCount, 25 lines of 12 values."""
    lines = [f'{body_id} 0 1 1 1 1 0 0.02764709 0.05745083 2', '25']
    for j, (x, y, z) in enumerate(xyz):
        # x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState
        lines.append(f'{x:.7g} {y:.7g} {z:.7g} {277.419 + j:.7g} {191.8062 + j:.7g} {1036.233 + j:.7g} '
                     f'{478.2031 + j:.7g} -0.2559841 0.004875523 0.9666528 -0.00245091 {2 if j % 5 else 1}')
    return lines


def write_skeleton(path: str, frames: list, newline: str = '\r\n') -> None:
    """``frames``: per frame a list of ``(body_id, xyz (25, 3))``."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines.extend(body_lines(body_id, xyz))
    with open(path, 'w', newline='') as f:
        f.write(newline.join(lines) + newline)


def one_person(n: int, seed: float, amplitude: float = 0.05) -> list:
    return [[(BODY_ID_A, joints_of(seed, t, amplitude))] for t in range(n)]


# ------------------------------------------------------------------------------------------------ reading
def test_read_skeleton_file_real_format(tmp_path):
    path = str(tmp_path / 'S001C001P001R001A001.skeleton')
    frames = [
        [(BODY_ID_A, joints_of(1.0, 0))],
        [],  # Kinect tracked nobody
        [(BODY_ID_A, joints_of(1.0, 2)), (BODY_ID_B, joints_of(-1.0, 2))],
    ]
    write_skeleton(path, frames)
    seq = read_skeleton_file(path)
    assert seq.num_frames == 3
    assert [len(f) for f in seq.frames] == [1, 0, 2]
    assert [b.body_id for b in seq.frames[2]] == [BODY_ID_A, BODY_ID_B]
    np.testing.assert_allclose(seq.frames[0][0].joints[:, :3], joints_of(1.0, 0), atol=1e-6)
    np.testing.assert_allclose(seq.frames[2][1].joints[:, :3], joints_of(-1.0, 2), atol=1e-6)
    # the other columns are parsed in the documented order
    np.testing.assert_allclose(seq.frames[0][0].joints[3, 3:7], [280.419, 194.8062, 1039.233, 481.2031])
    assert seq.frames[0][0].joints[0, 11] == 1 and seq.frames[0][0].joints[1, 11] == 2
    np.testing.assert_allclose(seq.frames[0][0].info, [0, 1, 1, 1, 1, 0, 0.02764709, 0.05745083, 2])


def test_read_skeleton_file_unix_newlines_and_trailing_blank_lines(tmp_path):
    path = str(tmp_path / 'x.skeleton')
    write_skeleton(path, one_person(2, 0.3), newline='\n')
    with open(path, 'a') as f:
        f.write('\n\n')
    assert read_skeleton_file(path).num_frames == 2


def _lines_of(frames):
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines.extend(body_lines(body_id, xyz))
    return lines


@pytest.mark.parametrize('edit, line, words', [
    # line 1 frame count, line 2 body count, line 3 body info, line 4 joint count, lines 5-29 joints
    (lambda ls: ls.__setitem__(9, ls[9].rsplit(' ', 1)[0]), 10, 'expected 12 joint values'),
    (lambda ls: ls.__setitem__(6, ls[6].replace('-0.2559841', 'abc')), 7, 'not a number'),
    (lambda ls: ls.__setitem__(0, 'three'), 1, 'frame count'),
    (lambda ls: ls.__setitem__(2, '72057594037931101 0 1 1'), 3, 'body-info'),
    (lambda ls: ls.__setitem__(3, '24'), 4, 'expected 25 joints'),
    (lambda ls: ls.__setitem__(0, '3'), 58, 'unexpected end of file'),  # declares 3 frames, has 2 (57 lines)
    (lambda ls: ls.__setitem__(0, '1'), 30, 'unexpected content after the last'),
    (lambda ls: ls.__setitem__(4, 'nan ' + ls[4].split(' ', 1)[1]), 5, 'non-finite'),
])
def test_malformed_file_error_names_file_and_line(tmp_path, edit, line, words):
    lines = _lines_of(one_person(2, 0.5))
    edit(lines)
    path = str(tmp_path / 'S001C001P001R001A001.skeleton')
    with open(path, 'w') as f:
        f.write('\r\n'.join(lines) + '\r\n')
    with pytest.raises(NTUFormatError) as e:
        read_skeleton_file(path)
    assert f'{path}, line {line}:' in str(e.value)
    assert words in str(e.value)


def test_truncated_inside_joints(tmp_path):
    lines = _lines_of(one_person(1, 0.5))[:20]
    path = str(tmp_path / 't.skeleton')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with pytest.raises(NTUFormatError, match=r't\.skeleton, line 21: unexpected end of file inside the joints'):
        read_skeleton_file(path)


# ------------------------------------------------------------------------------------------------ bodies
def test_select_bodies_keeps_two_most_moving_by_slot(tmp_path):
    path = str(tmp_path / 'S001C001P001R001A050.skeleton')
    frames = []
    for t in range(6):
        if t == 3:
            frames.append([])  # a frame without bodies stays as zeros
            continue
        frames.append([(BODY_ID_C, joints_of(5.0, t, 0.0)),    # slot 0: still (energy = 0)
                       (BODY_ID_A, joints_of(1.0, t, 0.30)),   # slot 1: moves most
                       (BODY_ID_B, joints_of(-1.0, t, 0.10))])  # slot 2: moves a little
    write_skeleton(path, frames)
    kp = select_bodies(read_skeleton_file(path))
    assert kp.dtype == np.float32 and kp.shape == (2, 6, 25, 3)
    for t in (0, 1, 2, 4, 5):
        np.testing.assert_allclose(kp[0, t], joints_of(1.0, t, 0.30), atol=1e-5)
        np.testing.assert_allclose(kp[1, t], joints_of(-1.0, t, 0.10), atol=1e-5)
    assert not kp[:, 3].any()


def test_select_bodies_single_person_and_slot_by_position(tmp_path):
    path = str(tmp_path / 'p.skeleton')
    # the body appears second in frame 0 (after a body that is gone afterwards), first later: slot = position
    frames = [[(BODY_ID_B, joints_of(9.0, 0)), (BODY_ID_A, joints_of(1.0, 0, 0.2))]] + \
             [[(BODY_ID_A, joints_of(1.0, t, 0.2))] for t in range(1, 5)]
    write_skeleton(path, frames)
    kp = select_bodies(read_skeleton_file(path))
    assert kp.shape == (2, 5, 25, 3)
    # slot 0 holds B in frame 0 then A: its spread is large, it comes first
    np.testing.assert_allclose(kp[0, 0], joints_of(9.0, 0), atol=1e-5)
    np.testing.assert_allclose(kp[0, 1], joints_of(1.0, 1, 0.2), atol=1e-5)
    np.testing.assert_allclose(kp[1, 0], joints_of(1.0, 0, 0.2), atol=1e-5)
    assert not kp[1, 1:].any()

    path1 = str(tmp_path / 'one.skeleton')
    write_skeleton(path1, one_person(4, 0.7))
    kp1 = select_bodies(read_skeleton_file(path1))
    assert kp1.shape == (1, 4, 25, 3)


def test_select_bodies_energy_is_spread_over_frames_and_joints(tmp_path):
    # mmaction's energy is the std over all non-zero frames *and joints*: in a one-frame sample the body with
    # the larger spatial extent comes first, and both bodies are kept
    path = str(tmp_path / 'single.skeleton')
    small, large = joints_of(1.0), np.round(3.0 * joints_of(1.0), 6)
    write_skeleton(path, [[(BODY_ID_A, small), (BODY_ID_B, large)]])
    kp = select_bodies(read_skeleton_file(path))
    assert kp.shape == (2, 1, 25, 3)
    np.testing.assert_allclose(kp[0, 0], large, atol=1e-5)
    np.testing.assert_allclose(kp[1, 0], small, atol=1e-5)
    # at most max_bodies Kinect slots are read: a fifth body never enters the selection
    frames = [[(str(k), np.round((k + 1) * joints_of(0.0, t, 0.1), 6)) for k in range(5)] for t in range(3)]
    write_skeleton(path, frames)
    kp = select_bodies(read_skeleton_file(path))
    np.testing.assert_allclose(kp[0, 1], np.round(4 * joints_of(0.0, 1, 0.1), 6), atol=1e-5)


def test_parse_sample_name():
    assert parse_sample_name('S018C002P042R001A120.skeleton') == dict(setup=18, camera=2, subject=42,
                                                                       replication=1, action=120)
    with pytest.raises(NTUFormatError):
        parse_sample_name('S1C2P3R1A1')


def test_shipped_missing_lists():
    m60, m120 = load_missing_list('ntu60'), load_missing_list('ntu120')
    assert len(m60) == 302 and len(m120) == 535
    assert 'S001C003P002R001A055' in m60 and m60 <= m120


# ------------------------------------------------------------------------------------------------ conversion
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
    lines = _lines_of(one_person(2, 0.6))
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
