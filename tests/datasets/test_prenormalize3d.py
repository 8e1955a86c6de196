"""FastPreNormalize3D gives mmaction's PreNormalize3D output to the bit (real MSR Action3D, two-person data)."""
import copy
import pickle

import numpy as np
import pytest
from mmaction.datasets.transforms import PreNormalize3D

from sugar_mm.datasets.transforms import FastPreNormalize3D


def both(results, **kwargs):
    ref = PreNormalize3D(**kwargs).transform(copy.deepcopy(results))
    ours = FastPreNormalize3D(**kwargs).transform(copy.deepcopy(results))
    return ref, ours


def assert_same(ref, ours):
    assert ref['total_frames'] == ours['total_frames']
    assert ref['keypoint'].dtype == ours['keypoint'].dtype
    np.testing.assert_array_equal(ref['keypoint'], ours['keypoint'])
    np.testing.assert_array_equal(ref['body_center'], ours['body_center'])


def test_identical_on_every_real_msr_sequence(msr_pkl):
    with open(msr_pkl, 'rb') as f:
        annotations = pickle.load(f)['annotations']
    assert len(annotations) > 500
    for ann in annotations:
        results = dict(keypoint=ann['keypoint'].astype(np.float32), total_frames=ann['total_frames'],
                       frame_dir=ann['frame_dir'])
        assert_same(*both(results, zaxis=[6, 3], xaxis=[1, 0]))


@pytest.mark.parametrize('swap', [False, True])
def test_identical_with_two_persons_and_empty_frames(swap):
    rng = np.random.default_rng(0)
    kp = rng.normal(size=(2, 30, 25, 3)).astype(np.float32)
    kp[0, [0, 5, 6]] = 0  # person 0 missing in 3 frames
    kp[1, [2, 3, 4, 7]] = 1e-9  # "close to 0" counts as missing: person 1 in 26 frames
    if swap:  # person 0 in fewer frames than person 1 (17 < 26): the persons are swapped
        kp[0, 10:20] = 0
    ref, ours = both(dict(keypoint=kp, total_frames=30))
    assert_same(ref, ours)
    assert ours['total_frames'] == (26 if swap else 27)


def test_all_zero_input_is_returned_unchanged_and_errors_name_the_sample():
    kp = np.zeros((1, 4, 20, 3), np.float32)
    out = FastPreNormalize3D().transform(dict(keypoint=kp, total_frames=4))
    assert out['keypoint'] is kp and 'body_center' not in out
    with pytest.raises(ValueError, match='4 frames but total_frames is 5 .sample a01_s01'):
        FastPreNormalize3D().transform(dict(keypoint=kp + 1, total_frames=5, frame_dir='a01_s01'))
    with pytest.raises(ValueError, match='1 or 2 persons, got 3'):
        FastPreNormalize3D().transform(dict(keypoint=np.ones((3, 4, 20, 3), np.float32), total_frames=4))
