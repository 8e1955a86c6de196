"""MSR Action3D converter: the real dataset in ../shared, plus small raw folders written here."""
import csv
import os.path as osp

import numpy as np
import pytest

from sugar_mm.datasets.converters.msr_action3d import (ACTION_SETS, MSRFormatError, convert_msr_action3d,
                                                       find_skeleton_files, parse_sequence_id, read_skeleton_file)
from sugar_mm.datasets.label_maps import load_label_map


@pytest.fixture(scope='module')
def converted(msr_raw):
    logs = []
    data = convert_msr_action3d(msr_raw, log=logs.append)
    return data, logs


@pytest.fixture(scope='module')
def index_csv(msr_raw):
    """The scout's per-file index (independent of the converter): seq_id -> row."""
    with open(osp.join(msr_raw, 'index.csv')) as f:
        return {row['seq_id']: row for row in csv.DictReader(f)}


def test_real_counts_and_excluded_sequence(converted, index_csv):
    data, logs = converted
    annos = data['annotations']
    assert len(index_csv) == 567
    assert len(annos) == 566
    names = [a['frame_dir'] for a in annos]
    assert len(set(names)) == 566 and 'a13_s09_e02' not in names
    assert set(index_csv) - set(names) == {'a13_s09_e02'}
    assert index_csv['a13_s09_e02']['all_zero'] == '1'
    excluded = [line for line in logs if 'excluded a13_s09_e02' in line]
    assert len(excluded) == 1 and 'all joints are zero' in excluded[0]
    assert 'a13_s09_e02_skeleton3D.txt' in excluded[0]
    assert logs[-1] == '[msr_action3d] 566 sequences converted, 1 excluded; xsub_train 284, xsub_val 273'
    # the 10 sequences outside the 557 list stay in annotations but in no standard split
    outside = {n for n, r in index_csv.items() if r['in_557_list'] == '0'}
    assert len(outside) == 10 and outside - {'a13_s09_e02'} <= set(names)
    in_splits = set(data['split']['xsub_train']) | set(data['split']['xsub_val'])
    assert not outside & in_splits


def test_real_xsub_split(converted, index_csv):
    data, _ = converted
    by_name = {a['frame_dir']: a for a in data['annotations']}
    train, val = data['split']['xsub_train'], data['split']['xsub_val']
    assert (len(train), len(val)) == (284, 273)
    assert not set(train) & set(val)
    assert {by_name[n]['subject'] for n in train} == {1, 3, 5, 7, 9}
    assert {by_name[n]['subject'] for n in val} == {2, 4, 6, 8, 10}
    # the scout's index agrees sequence by sequence (its xsub_split column also covers the 10 extra files)
    in_list = {n: r for n, r in index_csv.items() if r['in_557_list'] == '1'}
    assert len(in_list) == 557
    assert set(train) == {n for n, r in in_list.items() if r['xsub_split'] == 'train'}
    assert set(val) == {n for n, r in in_list.items() if r['xsub_split'] == 'test'}
    for split in (train, val):
        assert sorted({by_name[n]['label'] for n in split}) == list(range(20))


def test_real_annotation_content(converted, index_csv, msr_raw):
    data, _ = converted
    labels = sorted({a['label'] for a in data['annotations']})
    assert labels == list(range(20))
    assert load_label_map('msr_action3d') == load_label_map(osp.join(msr_raw, 'label_map.txt'))
    for a in data['annotations']:
        row = index_csv[a['frame_dir']]
        t = int(row['num_frames'])
        assert a['keypoint'].shape == (1, t, 20, 3) and a['keypoint'].dtype == np.float32
        assert a['joint_confidence'].shape == (1, t, 20) and a['joint_confidence'].dtype == np.float32
        assert a['total_frames'] == t
        assert (a['label'] + 1, a['subject'], a['execution']) == \
            (int(row['action']), int(row['subject']), int(row['execution']))
    # one sequence value by value against the raw text
    a = next(x for x in data['annotations'] if x['frame_dir'] == 'a05_s02_e01')
    raw = np.loadtxt(osp.join(msr_raw, 'real_world_coordinates', 'a05_s02_e01_skeleton3D.txt'), dtype=np.float32)
    np.testing.assert_array_equal(a['keypoint'][0], raw[:, :3].reshape(-1, 20, 3))
    np.testing.assert_array_equal(a['joint_confidence'][0], raw[:, 3].reshape(-1, 20))
    assert a['label'] == 4 and a['subject'] == 2


def test_real_action_sets(converted):
    data, _ = converted
    by_name = {a['frame_dir']: a for a in data['annotations']}
    xsub = set(data['split']['xsub_train']) | set(data['split']['xsub_val'])
    covered = set()
    for name, actions in ACTION_SETS.items():
        assert len(actions) == 8
        want = {a - 1 for a in actions}
        train, val = data['split'][f'{name}_train'], data['split'][f'{name}_val']
        assert {by_name[n]['label'] for n in train} == want
        assert {by_name[n]['label'] for n in val} == want
        assert {by_name[n]['subject'] % 2 for n in train} == {1}
        assert {by_name[n]['subject'] % 2 for n in val} == {0}
        # every sequence of those classes in the standard protocol, nothing else
        assert set(train) | set(val) == {n for n in xsub if by_name[n]['label'] in want}
        covered |= want
    assert covered == set(range(20))
    assert ACTION_SETS['as1'] == (2, 3, 5, 6, 10, 13, 18, 20)  # SOURCE.md / tr_te_splits.mat


# ------------------------------------------------------------------------- synthetic raw folders
def _frame_lines(seed: float, n_frames: int):
    lines = []
    for t in range(n_frames):
        for j in range(20):
            lines.append(f'{seed + 0.01 * j:.4f} {0.1 * t - 0.02 * j:.4f} {2.0 + 0.001 * j:.4f} 1')
    return lines


def _write(folder, name, lines):
    path = osp.join(str(folder), name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def test_synthetic_folder_excludes_bad_files(tmp_path):
    raw = tmp_path / 'real_world_coordinates'
    raw.mkdir()
    _write(raw, 'a01_s01_e01_skeleton3D.txt', _frame_lines(0.5, 3))
    _write(raw, 'a02_s02_e01_skeleton3D.txt', _frame_lines(-0.5, 2))
    _write(raw, 'a03_s01_e01_skeleton3D.txt', _frame_lines(0.1, 2)[:30])  # truncated mid-frame
    bad = _frame_lines(0.2, 2)
    bad[23] = '0.1 abc 2.0 1'
    _write(raw, 'a04_s02_e01_skeleton3D.txt', bad)
    _write(raw, 'a05_s01_e01_skeleton3D.txt', ['0 0 0 0'] * 40)  # all zero
    with open(tmp_path / 'files_used_in_cvpr12_paper.txt', 'w') as f:
        f.write('a01_s01_e01\na02_s02_e01\na03_s01_e01\n')
    logs = []
    data = convert_msr_action3d(str(tmp_path), log=logs.append)

    assert [a['frame_dir'] for a in data['annotations']] == ['a01_s01_e01', 'a02_s02_e01']
    assert data['annotations'][0]['keypoint'].shape == (1, 3, 20, 3)
    assert data['annotations'][1]['label'] == 1
    text = '\n'.join(logs)
    truncated = [line for line in logs if line.startswith('[msr_action3d] excluded a03_s01_e01')]
    assert len(truncated) == 1
    assert 'a03_s01_e01_skeleton3D.txt' in truncated[0] and '30 joint lines' in truncated[0]
    assert 'truncated' in truncated[0]
    nonnum = [line for line in logs if line.startswith('[msr_action3d] excluded a04_s02_e01')]
    assert len(nonnum) == 1
    assert 'a04_s02_e01_skeleton3D.txt, line 24' in nonnum[0] and 'abc' in nonnum[0]
    assert 'excluded a05_s01_e01: all joints are zero' in text
    assert '[msr_action3d] sequence a03_s01_e01 of the standard list is missing or excluded' in logs
    assert logs[-1] == '[msr_action3d] 2 sequences converted, 3 excluded; xsub_train 1, xsub_val 1'
    assert data['split']['xsub_train'] == ['a01_s01_e01'] and data['split']['xsub_val'] == ['a02_s02_e01']
    assert data['split']['as1_train'] == [] and data['split']['as2_val'] == []
    assert data['split']['as2_train'] == ['a01_s01_e01']  # action 1 is in AS2
    assert data['split']['as1_val'] == ['a02_s02_e01']  # action 2 is in AS1


def test_synthetic_folder_without_standard_list(tmp_path):
    _write(tmp_path, 'a01_s03_e02_skeleton3D.txt', _frame_lines(0.5, 2))
    _write(tmp_path, 'a20_s10_e01_skeleton3D.txt', _frame_lines(0.7, 4))
    logs = []
    data = convert_msr_action3d(str(tmp_path), log=logs.append)
    assert any('files_used_in_cvpr12_paper.txt not found' in line for line in logs)
    assert data['split']['xsub_train'] == ['a01_s03_e02'] and data['split']['xsub_val'] == ['a20_s10_e01']
    assert data['annotations'][1]['label'] == 19 and data['annotations'][1]['total_frames'] == 4
    assert (data['annotations'][0]['subject'], data['annotations'][0]['execution']) == (3, 2)


def test_read_skeleton_file_errors_name_the_file(tmp_path):
    good = _write(tmp_path, 'a01_s01_e01_skeleton3D.txt', [''] + _frame_lines(0.5, 2) + ['', ''])
    arr = read_skeleton_file(good)
    assert arr.shape == (2, 20, 4) and arr.dtype == np.float32
    assert arr[1, 3, 0] == pytest.approx(0.53) and arr[1, 3, 1] == pytest.approx(0.04)

    cases = {
        'trunc': (_frame_lines(0.1, 2)[:21], r'trunc_skeleton3D\.txt: 21 joint lines is not a multiple of 20'),
        'text': (_frame_lines(0.1, 1)[:4] + ['1.0 2.0 x 1'] + _frame_lines(0.1, 1)[5:],
                 r'text_skeleton3D\.txt, line 5: not a number'),
        'fields': (_frame_lines(0.1, 1)[:7] + ['1.0 2.0 3.0'] + _frame_lines(0.1, 1)[8:],
                   r'fields_skeleton3D\.txt, line 8: expected 4 numbers'),
        'nan': (['nan 0 0 1'] + _frame_lines(0.1, 1)[1:], r'nan_skeleton3D\.txt: contains NaN or inf'),
        'empty': ([''], r'empty_skeleton3D\.txt: empty file'),
    }
    for name, (lines, pattern) in cases.items():
        path = _write(tmp_path, f'{name}_skeleton3D.txt', lines)
        with pytest.raises(MSRFormatError, match=pattern):
            read_skeleton_file(path)


def test_names_and_missing_folder(tmp_path):
    assert parse_sequence_id('/x/a07_s10_e03_skeleton3D.txt') == ('a07_s10_e03', 7, 10, 3)
    with pytest.raises(MSRFormatError, match='a7_s10_e03_skeleton3D.txt: name does not match'):
        parse_sequence_id('a7_s10_e03_skeleton3D.txt')
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        find_skeleton_files(str(tmp_path))
