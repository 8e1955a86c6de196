"""The NTU ``.skeleton`` reader and person selection, on files written here in the real NTU text format."""
import numpy as np
import pytest

from sugar_mm.datasets.converters.ntu_skeleton_file import (NTUFormatError, parse_sample_name, read_skeleton_file,
                                                         select_bodies)
from tests.datasets.ntu_files import BODY_ID_A, BODY_ID_B, BODY_ID_C, joints_of, lines_of, one_person, write_skeleton


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
    lines = lines_of(one_person(2, 0.5))
    edit(lines)
    path = str(tmp_path / 'S001C001P001R001A001.skeleton')
    with open(path, 'w') as f:
        f.write('\r\n'.join(lines) + '\r\n')
    with pytest.raises(NTUFormatError) as e:
        read_skeleton_file(path)
    assert f'{path}, line {line}:' in str(e.value)
    assert words in str(e.value)


def test_truncated_inside_joints(tmp_path):
    lines = lines_of(one_person(1, 0.5))[:20]
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
