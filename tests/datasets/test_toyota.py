"""Toyota Smarthome converter: small LCR-Net pose JSON files written here in the released layout."""
import importlib.util
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from sugar_mm.datasets.converters.toyota import (LCRNET_JOINTS, XVIEW_CLASSES, ToyotaFormatError, convert_toyota,
                                                 parse_clip_name, read_pose_file)
from sugar_mm.datasets.label_maps import load_label_map


def pose3d(seed: float, t: int = 0) -> np.ndarray:
    """(13, 3) with joint j at (j + seed, 10 + j + t / 10, 20 + j): each value says which joint/axis it is."""
    j = np.arange(13, dtype=np.float64)
    return np.stack([j + seed, 10 + j + t / 10.0, 20 + j], axis=1)


def pose2d(seed: float, t: int = 0) -> np.ndarray:
    j = np.arange(13, dtype=np.float64)
    return np.stack([100 + j + seed, 300 + j + t], axis=1)


def det(seed: float, t: int = 0, score=None) -> dict:
    """One detection in LCR-Net's coordinate-major layout (all x, then all y, then all z)."""
    d = {'pose2d': pose2d(seed, t).T.reshape(-1).tolist(), 'pose3d': pose3d(seed, t).T.reshape(-1).tolist()}
    if score is not None:
        d['cumscore'] = score
    return d


def write_clip(folder, fname, frames, **extra):
    doc = dict(K=[[1000.0, 0, 320], [0, 1000.0, 240], [0, 0, 1]], njts=13, frames=frames)
    doc.update(extra)
    with open(osp.join(folder, fname), 'w') as f:
        json.dump(doc, f)


def make_raw(root):
    d = osp.join(root, 'skeletonv12')
    os.makedirs(osp.join(d, 'sub'))
    write_clip(d, 'Cook.Cut_p03_r00_v02_c03_pose3d.json', [[det(0.5, t)] if t != 2 else [] for t in range(4)])
    # v1.1 name and scores; frame 1 has two persons, the second scores higher
    write_clip(d, 'Drink.Fromcup_p02_r01_v05_c01.json',
               [[det(1.0, 0, 9.0)], [det(1.0, 1, 3.0), det(7.0, 1, 11.5)], [det(1.0, 2, 8.0)]])
    write_clip(d, 'Walk_p25_r12_v15_c02_pose3d.json', [[det(2.0, t)] for t in range(3)])
    write_clip(d, 'Walk_p04_r00_v01_c05_pose3d.json', [[det(2.5, t)] for t in range(2)])
    write_clip(osp.join(d, 'sub'), 'Readbook_p06_r00_v02_c04_pose3d.json', [[det(3.0, t)] for t in range(2)])
    write_clip(d, 'Usetablet_p07_r00_v01_c02_pose3d.json', [[det(4.0)]])
    write_clip(d, 'Usetelephone_p07_r00_v01_c01_pose3d.json', [[det(5.0)]])
    # several persons without scores (v1.2): the first one is kept
    write_clip(d, 'Makecoffee.Pourwater_p09_r00_v01_c07_pose3d.json', [[det(6.0), det(8.0)]])
    write_clip(d, 'Enter_p10_r00_v01_c01_pose3d.json', [[], [], []])           # nobody: excluded
    write_clip(d, 'Dance_p03_r00_v01_c01_pose3d.json', [[det(0.0)]])          # not a class: excluded
    bad = [[det(1.0)], [det(1.0)]]
    bad[1][0]['pose3d'] = bad[1][0]['pose3d'][:38]
    write_clip(d, 'Sitdown_p11_r00_v01_c02_pose3d.json', bad)                  # malformed: excluded
    with open(osp.join(d, 'readme.json'), 'w') as f:
        f.write('{}')
    return d


def by_name(data):
    return {a['frame_dir']: a for a in data['annotations']}


def test_joint_order_matches_layout():
    from sugar_mm.datasets.layouts import TOYOTA_13
    assert tuple(TOYOTA_13.joints) == LCRNET_JOINTS
    assert LCRNET_JOINTS[12] == 'head' and LCRNET_JOINTS[10:12] == ('right_shoulder', 'left_shoulder')


def test_parse_clip_name():
    assert parse_clip_name('Cook.Cut_p03_r00_v02_c03_pose3d.json') == dict(
        clip='Cook.Cut_p03_r00_v02_c03', activity='Cook.Cut', subject=3, recording=0, video=2, camera=3)
    assert parse_clip_name('WatchTV_p25_r01_v14_c07.json')['clip'] == 'WatchTV_p25_r01_v14_c07'
    with pytest.raises(ToyotaFormatError):
        parse_clip_name('Walk_p3.json')


def test_read_pose_file_coordinate_major_and_best_score(tmp_path):
    d = make_raw(tmp_path)
    kp, detected, unscored = read_pose_file(osp.join(d, 'Drink.Fromcup_p02_r01_v05_c01.json'))
    assert kp.dtype == np.float32 and kp.shape == (3, 13, 3) and detected.all() and unscored == 0
    np.testing.assert_allclose(kp[0], pose3d(1.0, 0), atol=1e-5)  # joint j -> (j + 1, 10 + j, 20 + j)
    np.testing.assert_allclose(kp[1], pose3d(7.0, 1), atol=1e-5)  # the higher cumscore wins
    kp2, _, _ = read_pose_file(osp.join(d, 'Drink.Fromcup_p02_r01_v05_c01.json'), coords='2d')
    assert kp2.shape == (3, 13, 2)
    np.testing.assert_allclose(kp2[1], pose2d(7.0, 1), atol=1e-4)
    kp3, detected3, unscored3 = read_pose_file(osp.join(d, 'Makecoffee.Pourwater_p09_r00_v01_c07_pose3d.json'))
    np.testing.assert_allclose(kp3[0], pose3d(6.0), atol=1e-5)
    assert unscored3 == 1


@pytest.mark.parametrize('content, words', [
    ('{"njts": 13, "frames": [[\n{"pose3d": [1, 2,]}]]}', 'line 2: invalid JSON'),
    ('[1, 2]', 'expected an object with a "frames" list'),
    ('{"njts": 17, "frames": []}', 'njts is 17'),
    ('{"frames": [[], {"pose3d": []}]}', 'frame 1 is a dict'),
    ('{"frames": [[{"pose2d": [0]}]]}', 'frame 0, detection 0 has no "pose3d"'),
    ('{"frames": [[{"pose3d": [0, 1]}]]}', 'frame 0, detection 0: "pose3d" has 2 values, expected 39'),
    ('{"frames": [[{"pose3d": ' + json.dumps(['a'] * 39) + '}]]}', 'not numbers'),
    ('{"frames": [[{"pose3d": ' + json.dumps([1.0] * 38 + [float('nan')]) + '}]]}', 'non-finite'),
])
def test_malformed_pose_file(tmp_path, content, words):
    path = str(tmp_path / 'Walk_p03_r00_v01_c01.json')
    with open(path, 'w') as f:
        f.write(content)
    with pytest.raises(ToyotaFormatError) as e:
        read_pose_file(path)
    assert str(e.value).startswith(path) and words in str(e.value)


def test_convert_3d(tmp_path):
    d = make_raw(tmp_path)
    logs = []
    data = convert_toyota(d, log=logs.append)
    anns = by_name(data)
    assert sorted(anns) == ['Cook.Cut_p03_r00_v02_c03', 'Drink.Fromcup_p02_r01_v05_c01',
                            'Makecoffee.Pourwater_p09_r00_v01_c07', 'Readbook_p06_r00_v02_c04',
                            'Usetablet_p07_r00_v01_c02', 'Usetelephone_p07_r00_v01_c01', 'Walk_p04_r00_v01_c05',
                            'Walk_p25_r12_v15_c02']
    names = load_label_map('toyota')
    for a in anns.values():
        assert names[a['label']] == a['activity']
        assert a['keypoint'].dtype == np.float32 and a['keypoint'].shape == (1, a['total_frames'], 13, 3)
    # labels by name, with the values of the shipped label map
    assert anns['Cook.Cut_p03_r00_v02_c03']['label'] == 2
    assert anns['Usetablet_p07_r00_v01_c02']['label'] == 27
    assert anns['Usetelephone_p07_r00_v01_c01']['label'] == 28
    assert anns['Walk_p25_r12_v15_c02']['label'] == 29
    cut = anns['Cook.Cut_p03_r00_v02_c03']
    assert cut['total_frames'] == 4 and cut['subject'] == 3 and cut['camera'] == 3
    assert cut['detected'].tolist() == [True, True, False, True]
    assert not cut['keypoint'][0, 2].any()  # the frame without a person is zeros
    np.testing.assert_allclose(cut['keypoint'][0, 3], pose3d(0.5, 3), atol=1e-5)
    np.testing.assert_allclose(anns['Drink.Fromcup_p02_r01_v05_c01']['keypoint'][0, 1], pose3d(7.0, 1), atol=1e-5)
    assert 'keypoint_score' not in cut

    assert data['split'] == {
        'xsub_train': ['Cook.Cut_p03_r00_v02_c03', 'Makecoffee.Pourwater_p09_r00_v01_c07',
                       'Readbook_p06_r00_v02_c04', 'Usetablet_p07_r00_v01_c02', 'Usetelephone_p07_r00_v01_c01',
                       'Walk_p04_r00_v01_c05', 'Walk_p25_r12_v15_c02'],
        'xsub_val': ['Drink.Fromcup_p02_r01_v05_c01'],
        'xview1_train': ['Drink.Fromcup_p02_r01_v05_c01', 'Usetelephone_p07_r00_v01_c01'],
        'xview1_val': ['Usetablet_p07_r00_v01_c02', 'Walk_p25_r12_v15_c02'],
        'xview2_train': ['Drink.Fromcup_p02_r01_v05_c01', 'Readbook_p06_r00_v02_c04', 'Usetelephone_p07_r00_v01_c01'],
        'xview2_val': ['Usetablet_p07_r00_v01_c02', 'Walk_p25_r12_v15_c02'],
    }
    text = '\n'.join(logs)
    assert 'excluded Enter_p10_r00_v01_c01: no person detected in any of its 3 frames' in text
    assert "excluded Dance_p03_r00_v01_c01: activity 'Dance' is not in the label map" in text
    assert ('excluded Sitdown_p11_r00_v01_c02: ' + osp.join(d, 'Sitdown_p11_r00_v01_c02_pose3d.json')
            + ': frame 1, detection 0: "pose3d" has 38 values') in text
    assert 'readme.json: name does not match' in text
    assert "first detection was kept there: ['Makecoffee.Pourwater_p09_r00_v01_c07']" in text


def test_labels_follow_names_not_positions(tmp_path):
    d = make_raw(tmp_path)
    names = load_label_map('toyota')
    i, j = names.index('Usetablet'), names.index('Usetelephone')
    names[i], names[j] = names[j], names[i]
    swapped = str(tmp_path / 'label_map_swapped.txt')
    with open(swapped, 'w') as f:
        f.write('\n'.join(names) + '\n')
    anns = by_name(convert_toyota(d, label_map=swapped, log=lambda s: None))
    assert anns['Usetablet_p07_r00_v01_c02']['label'] == j
    assert anns['Usetelephone_p07_r00_v01_c01']['label'] == i


def test_convert_2d_and_custom_protocols(tmp_path):
    d = make_raw(tmp_path)
    data = convert_toyota(d, coords='2d', xsub_train_subjects=(2, ), xview_cameras={'xview1': ((2, ), (1, ))},
                          log=lambda s: None)
    anns = by_name(data)
    cut = anns['Cook.Cut_p03_r00_v02_c03']
    assert cut['keypoint'].shape == (1, 4, 13, 2) and cut['img_shape'] == (480, 640)
    np.testing.assert_allclose(cut['keypoint'][0, 1], pose2d(0.5, 1), atol=1e-4)
    assert cut['keypoint_score'].shape == (1, 4, 13)
    assert cut['keypoint_score'][0, :, 0].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert data['split']['xsub_train'] == ['Drink.Fromcup_p02_r01_v05_c01']
    assert set(data['split']) == {'xsub_train', 'xsub_val', 'xview1_train', 'xview1_val'}
    # only pose2d is read in 2D: the clip whose pose3d is truncated is fine here
    assert data['split']['xview1_train'] == ['Sitdown_p11_r00_v01_c02', 'Usetablet_p07_r00_v01_c02',
                                             'Walk_p25_r12_v15_c02']


def test_strict_and_errors(tmp_path):
    d = make_raw(tmp_path)
    with pytest.raises(ToyotaFormatError, match='Sitdown_p11_r00_v01_c02_pose3d.json: frame 1'):
        convert_toyota(d, strict=True, log=lambda s: None)
    with pytest.raises(ValueError, match='not in the label map'):
        convert_toyota(d, xview_classes=['Fly'], log=lambda s: None)
    with pytest.raises(ValueError, match='both train and test'):
        convert_toyota(d, xview_cameras={'xview1': ((1, 2), (2, ))}, log=lambda s: None)
    with pytest.raises(FileNotFoundError):
        convert_toyota(str(tmp_path / 'nope'), log=lambda s: None)
    write_clip(osp.join(d, 'sub'), 'Walk_p25_r12_v15_c02.json', [[det(2.0)]])
    with pytest.raises(ValueError, match='two pose files'):
        convert_toyota(d, log=lambda s: None)


def test_xview_classes_are_the_source_list():
    assert len(XVIEW_CLASSES) == 19 and set(XVIEW_CLASSES) <= set(load_label_map('toyota'))


def test_cli_and_cross_view_subset(tmp_path):
    d = make_raw(tmp_path)
    spec = importlib.util.spec_from_file_location(
        'toyota_cli', osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data', 'toyota.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'toyota_3d.pkl')
    assert cli.main([d, out, '--xview1', '1:2,3']) == 0
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert data['split']['xview1_val'] == ['Usetablet_p07_r00_v01_c02', 'Walk_p25_r12_v15_c02']

    from sugar_mm.datasets.skeleton_dataset import SkeletonDataset
    ds = SkeletonDataset(ann_file=out, pipeline=[], split='xview1_val', classes='toyota',
                         class_subset=list(XVIEW_CLASSES), num_joints=13, num_coords=3)
    labels = {ds.get_data_info(i)['frame_dir']: ds.get_data_info(i)['label'] for i in range(len(ds))}
    assert labels == {'Usetablet_p07_r00_v01_c02': XVIEW_CLASSES.index('Usetablet'),
                      'Walk_p25_r12_v15_c02': XVIEW_CLASSES.index('Walk')}
