"""3D augmentation (sugar_mm/datasets/transforms/augment3d.py): the mirror image swaps sides and one axis."""
import numpy as np
import pytest

from sugar_mm.datasets.layouts import KINECT_V1
from sugar_mm.datasets.transforms import RandomMirror3D


def kinect_sample(seed=0, m=1, t=4):
    return dict(keypoint=np.random.default_rng(seed).normal(size=(m, t, 20, 3)).astype(np.float32),
                frame_dir='a01_s01_e01')


def test_kinect_mirror_pairs_come_from_the_joint_names():
    names = dict(enumerate(KINECT_V1.joints))
    pairs = KINECT_V1.mirror_pairs
    assert len(pairs) == 8  # shoulder, hip, elbow, wrist, hand, knee, ankle, foot
    for left, right in pairs:
        assert names[left].replace('left_', '') == names[right].replace('right_', '')
    assert (0, 1) in pairs and (11, 12) in pairs and (17, 18) in pairs
    assert not {2, 3, 6, 19} & {j for p in pairs for j in p}  # shoulder centre, spine, hip centre, head


def test_mirror_swaps_sides_negates_x_and_is_its_own_inverse():
    t = RandomMirror3D('kinect_v1', prob=1.0)
    sample = kinect_sample()
    orig = sample['keypoint'].copy()
    out = t(dict(sample))['keypoint']
    # the left wrist (9) of the mirror image is the right wrist (10) of the original, x negated
    np.testing.assert_allclose(out[0, :, 9], orig[0, :, 10] * [-1, 1, 1])
    np.testing.assert_allclose(out[0, :, 19], orig[0, :, 19] * [-1, 1, 1])  # the head stays on the centre line
    twice = t(dict(sample, keypoint=out))['keypoint']
    np.testing.assert_allclose(twice, orig)
    # distances between joints are kept (a mirror is an isometry)
    d = lambda k: np.linalg.norm(k[0, :, :, None] - k[0, :, None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(np.sort(d(out).reshape(4, -1)), np.sort(d(orig).reshape(4, -1)), atol=1e-5)


def test_mirror_probability_and_ntu_layout():
    np.random.seed(0)
    t = RandomMirror3D('kinect_v1', prob=0.5)
    flipped = sum(not np.array_equal(t(kinect_sample())['keypoint'], kinect_sample()['keypoint'])
                  for _ in range(400))
    assert 150 < flipped < 250
    assert np.array_equal(RandomMirror3D('kinect_v1', prob=0.0)(kinect_sample())['keypoint'],
                          kinect_sample()['keypoint'])
    ntu = RandomMirror3D('nturgb+d', prob=1.0)
    kp = np.random.default_rng(1).normal(size=(2, 3, 25, 3))
    out = ntu(dict(keypoint=kp))['keypoint']
    np.testing.assert_allclose(out[:, :, 4], kp[:, :, 8] * [-1, 1, 1])  # left shoulder <- right shoulder
    np.testing.assert_allclose(out[:, :, 3], kp[:, :, 3] * [-1, 1, 1])  # head


def test_mirror_rejects_what_it_cannot_mirror():
    with pytest.raises(ValueError, match=r'\(M, T, 20, 3\).*a01_s01_e01'):
        RandomMirror3D('kinect_v1', prob=1.0)(dict(keypoint=np.zeros((1, 4, 25, 3)), frame_dir='a01_s01_e01'))
    with pytest.raises(ValueError, match='axis'):
        RandomMirror3D('kinect_v1', axis=3)
    with pytest.raises(KeyError, match='unknown skeleton layout'):
        RandomMirror3D('no_such_layout')
