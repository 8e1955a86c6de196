"""PKU-MMD converter: small skeleton, label and split files written here in the official format."""
import importlib.util
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from sugar_mm.datasets.converters.pku_mmd import (PKUMMDFormatError, convert_pku_mmd, find_split_files,
                                                  read_label_file, read_skeleton_file, read_split_file)


def pose(seed: float, t: int) -> np.ndarray:
    """Deterministic (25, 3) joints for a person ``seed`` at frame ``t`` (6 decimals, as in the files)."""
    v = np.arange(25, dtype=np.float64)[:, None]
    return np.round(np.concatenate([0.01 * v + seed + 0.001 * t, 0.03 * v - 0.5 + 0.002 * t,
                                    2.5 + 0.004 * v + 0.1 * seed + 0.0005 * t], axis=1), 6)


def write_skeleton(path, frames):
    """``frames``: per frame ``(person1 or None, person2 or None)``; absent persons are written as zeros."""
    lines = []
    for p1, p2 in frames:
        values = np.concatenate([np.zeros(75) if p is None else p.reshape(-1) for p in (p1, p2)])
        lines.append(' '.join(f'{x:.6f}' for x in values) + ' ')  # the official lines end with a space
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def write_text(path, text):
    with open(path, 'w') as f:
        f.write(text)


def make_raw(root):
    sk = osp.join(root, 'PKU_Skeleton_Renew')
    lb = osp.join(root, 'Train_Label_PKU_final')
    sp = osp.join(root, 'Split')
    for d in (sk, lb, sp):
        os.makedirs(d)
    # 0002-L: one person, 10 frames
    write_skeleton(osp.join(sk, '0002-L.txt'), [(pose(1.0, t), None) for t in range(10)])
    write_text(osp.join(lb, '0002-L.txt'),
               '3,0,4,1\n'      # instance 0: frames 0..4
               '51,5,9,2\n'     # instance 1: frames 5..9 (the last frame)
               '7,8,14,1\n'     # instance 2: beyond the last frame -> clipped to 8..9
               '9,12,15,1\n')   # instance 3: no frame left -> excluded
    # 0002-M: person 2 enters at frame 2, person 1 leaves after frame 7
    write_skeleton(osp.join(sk, '0002-M.txt'),
                   [(pose(1.0, t) if t < 8 else None, pose(-1.0, t) if t >= 2 else None) for t in range(10)])
    write_text(osp.join(lb, '0002-M.txt'), '12,0,6,1\n20,8,9,1\n5,0,1,1\n')
    # 0003-R: malformed skeleton line (149 numbers on line 4)
    frames = [(pose(2.0, t), None) for t in range(6)]
    write_skeleton(osp.join(sk, '0003-R.txt'), frames)
    with open(osp.join(sk, '0003-R.txt')) as f:
        lines = f.read().splitlines()
    lines[3] = lines[3].rsplit(' ', 2)[0]
    write_text(osp.join(sk, '0003-R.txt'), '\n'.join(lines) + '\n')
    write_text(osp.join(lb, '0003-R.txt'), '1,0,3,1\n')
    # 0004-L: malformed label line 2
    write_skeleton(osp.join(sk, '0004-L.txt'), [(pose(3.0, t), None) for t in range(5)])
    write_text(osp.join(lb, '0004-L.txt'), '2,0,2,1\n5,3\n')
    # 0005-L: skeleton all zeros where the action is
    write_skeleton(osp.join(sk, '0005-L.txt'), [(None, None)] * 3 + [(pose(4.0, t), None) for t in range(3, 6)])
    write_text(osp.join(lb, '0005-L.txt'), '4,0,2,1\n6,3,5,1\n')
    # 0006-L: label file without skeleton file
    write_text(osp.join(lb, '0006-L.txt'), '1,0,3,1\n')
    write_text(osp.join(sp, 'cross-subject.txt'),
               'Training videos: \n0002-L, 0002-M, 0005-L, \nValidataion videos: \n0003-R, 0004-L, 0006-L, 0007-L, \n')
    write_text(osp.join(sp, 'cross-view.txt'),
               'Training videos:\n0002-M, 0003-R,\n0005-L\nValidation videos: 0002-L, 0004-L\n')
    return dict(sk=sk, lb=lb, sp=sp)


def by_name(data):
    return {a['frame_dir']: a for a in data['annotations']}


def test_read_skeleton_file(tmp_path):
    raw = make_raw(tmp_path)
    arr = read_skeleton_file(osp.join(raw['sk'], '0002-M.txt'))
    assert arr.dtype == np.float32 and arr.shape == (10, 2, 25, 3)
    np.testing.assert_allclose(arr[4, 0], pose(1.0, 4), atol=1e-6)
    np.testing.assert_allclose(arr[4, 1], pose(-1.0, 4), atol=1e-6)
    assert not arr[1, 1].any() and not arr[9, 0].any()


@pytest.mark.parametrize('edit, line, words', [
    (lambda ls: ls.__setitem__(3, ls[3].rsplit(' ', 2)[0]), 4, 'expected 150 numbers'),
    (lambda ls: ls.__setitem__(1, ls[1].replace('2.5', 'x2.5', 1)), 2, 'not a number'),
    (lambda ls: ls.__setitem__(2, ''), 3, 'blank line between frames'),
    (lambda ls: ls.__setitem__(0, 'nan ' + ls[0].split(' ', 1)[1]), 1, 'non-finite'),
])
def test_malformed_skeleton_names_file_and_line(tmp_path, edit, line, words):
    path = str(tmp_path / '0009-L.txt')
    write_skeleton(path, [(pose(0.5, t), None) for t in range(5)])
    with open(path) as f:
        lines = f.read().splitlines()
    edit(lines)
    write_text(path, '\n'.join(lines) + '\n')
    with pytest.raises(PKUMMDFormatError) as e:
        read_skeleton_file(path)
    assert f'{path}, line {line}:' in str(e.value) and words in str(e.value)


@pytest.mark.parametrize('text, line, words', [
    ('1,0,5,1\n5,3\n', 2, 'expected 4 comma-separated fields'),
    ('1,0,5,1\n\n2,a,5,1\n', 3, 'must be integers'),
    ('52,0,5,1\n', 1, 'outside 1..51'),
    ('0,0,5,1\n', 1, 'outside 1..51'),
    ('3,9,5,1\n', 1, 'start_frame 9 is after end_frame 5'),
    ('3,-1,5,1\n', 1, 'negative frame'),
])
def test_malformed_label_names_file_and_line(tmp_path, text, line, words):
    path = str(tmp_path / '0009-L.txt')
    write_text(path, text)
    with pytest.raises(PKUMMDFormatError) as e:
        read_label_file(path, num_classes=51)
    assert f'{path}, line {line}:' in str(e.value) and words in str(e.value)


def test_read_label_file(tmp_path):
    path = str(tmp_path / 'l.txt')
    write_text(path, '41,34,128,1\r\n 2 , 130 , 200 , 2 ,\r\n')
    inst = read_label_file(path, 51)
    assert [(i.label, i.start, i.end, i.confidence, i.line) for i in inst] == [(41, 34, 128, 1.0, 1),
                                                                             (2, 130, 200, 2.0, 2)]


def test_read_split_file_both_spellings(tmp_path):
    raw = make_raw(tmp_path)
    assert read_split_file(osp.join(raw['sp'], 'cross-subject.txt')) == (
        ['0002-L', '0002-M', '0005-L'], ['0003-R', '0004-L', '0006-L', '0007-L'])
    assert read_split_file(osp.join(raw['sp'], 'cross-view.txt')) == (
        ['0002-M', '0003-R', '0005-L'], ['0002-L', '0004-L'])


@pytest.mark.parametrize('text, words', [
    ('0002-L\nTraining videos:\n0003-L\nValidation videos:\n0004-L\n', 'line 1: video ids before'),
    ('Training videos:\n0002-L, 02 L\nValidation videos:\n0004-L\n', "line 2: '02' is not a video id"),
    ('Training videos:\n0002-L\nValidation videos:\n0004-L, 0002-L\n', 'line 4: video 0002-L is listed twice'),
    ('Training videos:\n0002-L\n', 'no "Validataion videos:" line'),
])
def test_malformed_split_file(tmp_path, text, words):
    path = str(tmp_path / 'cross-subject.txt')
    write_text(path, text)
    with pytest.raises(PKUMMDFormatError) as e:
        read_split_file(path)
    assert str(e.value).startswith(path) and words in str(e.value)


def test_convert(tmp_path):
    raw = make_raw(tmp_path)
    logs = []
    data = convert_pku_mmd(raw['sk'], raw['lb'], find_split_files(raw['sp']), log=logs.append)
    anns = by_name(data)
    assert sorted(anns) == ['0002-L_0', '0002-L_1', '0002-L_2', '0002-M_0', '0002-M_1', '0002-M_2', '0005-L_1']
    a = anns['0002-L_0']
    assert a['label'] == 2 and a['keypoint'].dtype == np.float32 and a['keypoint'].shape == (1, 5, 25, 3)
    assert a['total_frames'] == 5 and a['video_id'] == '0002-L' and a['view'] == 'L'
    assert a['segment'] == (0, 4) and a['confidence'] == 1.0
    for t in range(5):
        np.testing.assert_allclose(a['keypoint'][0, t], pose(1.0, t), atol=1e-6)
    b = anns['0002-L_1']
    assert b['label'] == 50 and b['keypoint'].shape == (1, 5, 25, 3)
    np.testing.assert_allclose(b['keypoint'][0, -1], pose(1.0, 9), atol=1e-6)
    c = anns['0002-L_2']  # clipped at the video end
    assert c['label'] == 6 and c['keypoint'].shape == (1, 2, 25, 3) and c['segment'] == (8, 14)
    np.testing.assert_allclose(c['keypoint'][0, 0], pose(1.0, 8), atol=1e-6)
    # two persons; person 2 absent in frames 0-1 stays zero there
    m0 = anns['0002-M_0']
    assert m0['label'] == 11 and m0['keypoint'].shape == (2, 7, 25, 3)
    np.testing.assert_allclose(m0['keypoint'][0, 3], pose(1.0, 3), atol=1e-6)
    np.testing.assert_allclose(m0['keypoint'][1, 3], pose(-1.0, 3), atol=1e-6)
    assert not m0['keypoint'][1, :2].any()
    # only person 2 is there in frames 8-9: M = 1, holding person 2
    m1 = anns['0002-M_1']
    assert m1['keypoint'].shape == (1, 2, 25, 3)
    np.testing.assert_allclose(m1['keypoint'][0, 1], pose(-1.0, 9), atol=1e-6)
    # only person 1 in frames 0-1
    m2 = anns['0002-M_2']
    assert m2['keypoint'].shape == (1, 2, 25, 3) and m2['label'] == 4
    np.testing.assert_allclose(m2['keypoint'][0, 0], pose(1.0, 0), atol=1e-6)
    assert anns['0005-L_1']['keypoint'].shape == (1, 3, 25, 3)

    assert data['split'] == {
        'xsub_train': ['0002-L_0', '0002-L_1', '0002-L_2', '0002-M_0', '0002-M_1', '0002-M_2', '0005-L_1'],
        'xsub_val': [],
        'xview_train': ['0002-M_0', '0002-M_1', '0002-M_2', '0005-L_1'],
        'xview_val': ['0002-L_0', '0002-L_1', '0002-L_2'],
    }
    text = '\n'.join(logs)
    assert 'excluded 0002-L_3: frames 12-15' in text and 'beyond the 10 frames' in text
    assert '0002-L_2: frames 8-14' in text and 'clipped to 8-9' in text
    assert f'excluded video 0003-R: {osp.join(raw["sk"], "0003-R.txt")}, line 4: expected 150 numbers' in text
    assert f'excluded video 0004-L: {osp.join(raw["lb"], "0004-L.txt")}, line 2: expected 4' in text
    assert 'excluded 0005-L_0: all joints are zero in frames 0-2' in text
    assert 'excluded video 0006-L: label file' in text and 'has no skeleton file' in text
    assert "gave no clip (no files, excluded or no usable instance): ['0003-R', '0004-L', '0006-L', '0007-L']" \
        in text


def test_frame_index_base_one(tmp_path):
    raw = make_raw(tmp_path)
    zero = by_name(convert_pku_mmd(raw['sk'], raw['lb'], {}, log=lambda s: None))
    write_text(osp.join(raw['lb'], '0002-L.txt'), '3,1,5,1\n51,6,11,1\n')
    logs = []
    one = by_name(convert_pku_mmd(raw['sk'], raw['lb'], {}, frame_index_base=1, log=logs.append))
    np.testing.assert_array_equal(one['0002-L_0']['keypoint'], zero['0002-L_0']['keypoint'])
    assert one['0002-L_1']['keypoint'].shape == (1, 5, 25, 3)  # 1-based frame 11 does not exist
    assert any('0002-L_1: frames 6-11' in s and 'clipped to 6-10' in s for s in logs)


def test_strict(tmp_path):
    raw = make_raw(tmp_path)
    with pytest.raises(PKUMMDFormatError, match=r'0003-R\.txt, line 4'):
        convert_pku_mmd(raw['sk'], raw['lb'], {}, strict=True, log=lambda s: None)


def test_missing_split_file(tmp_path):
    raw = make_raw(tmp_path)
    os.remove(osp.join(raw['sp'], 'cross-view.txt'))
    with pytest.raises(FileNotFoundError, match='cross-view.txt'):
        find_split_files(raw['sp'])


def test_cli_and_pose_dataset(tmp_path):
    raw = make_raw(tmp_path)
    spec = importlib.util.spec_from_file_location(
        'pku_cli', osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data', 'pku_mmd.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'pku.pkl')
    assert cli.main([raw['sk'], raw['lb'], out, '--split-dir', raw['sp']]) == 0
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert set(data['split']) == {'xsub_train', 'xsub_val', 'xview_train', 'xview_val'}
    from mmaction.datasets import PoseDataset
    ds = PoseDataset(ann_file=out, pipeline=[], split='xview_val')
    assert sorted(d['frame_dir'] for d in ds) == ['0002-L_0', '0002-L_1', '0002-L_2']
