"""Skeleton layouts taught to mmaction's Graph and bone transforms, and the shipped class subsets."""
import os.path as osp
import re

import numpy as np
import pytest

from sugar_mm.datasets import layouts
from sugar_mm.datasets.class_subsets import resolve_class_subset, zsl_class_names, zsl_splits
from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.datasets.layouts import KINECT_V1, LAYOUTS, SkeletonLayout, get_layout, register_layout

SOURCE_MD = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))), 'shared', 'data',
                     'msr_action3d', 'SOURCE.md')


def source_md_bones():
    """The 19 bones of the MSR Action3D SOURCE.md, converted to 0-based undirected pairs."""
    if not osp.isfile(SOURCE_MD):
        pytest.skip(f'{SOURCE_MD} not found')
    with open(SOURCE_MD) as f:
        line = next(x for x in f if 'Bones (1-based pairs, 19)' in x)
    pairs = [(int(a) - 1, int(b) - 1) for a, b in re.findall(r'\((\d+),(\d+)\)', line)]
    assert len(pairs) == 19
    return {frozenset(p) for p in pairs}


def test_kinect_v1_matches_source_md():
    assert KINECT_V1.num_node == 20 and len(set(KINECT_V1.joints)) == 20
    assert {frozenset(e) for e in KINECT_V1.inward} == source_md_bones()
    assert len(KINECT_V1.inward) == 19
    # joint names follow SOURCE.md's 1-based order
    assert KINECT_V1.joints[0] == 'left_shoulder' and KINECT_V1.joints[6] == 'hip_center'
    assert KINECT_V1.joints[19] == 'head' and KINECT_V1.joints[2] == 'shoulder_center'
    assert KINECT_V1.parents[KINECT_V1.center] == KINECT_V1.center == 2
    # PreNormalize3D axes: hip centre -> spine, right -> left shoulder
    assert KINECT_V1.prenormalize_cfg() == dict(type='FastPreNormalize3D', zaxis=[6, 3], xaxis=[1, 0])
    parts = KINECT_V1.body_parts
    assert sorted(j for js in parts.values() for j in js) == list(range(20))  # every joint in one part
    assert get_layout('msr_action3d') is KINECT_V1 is get_layout('kinect_v1')


@pytest.mark.parametrize('mode', ['spatial', 'stgcn_spatial'])
def test_mmaction_graph_with_kinect_v1(mode):
    from mmaction.models.utils import Graph
    g = Graph(layout='kinect_v1', mode=mode)
    assert g.A.shape == (3, 20, 20) and g.num_node == 20 and g.center == 2
    assert g.layout == 'kinect_v1'
    ref = Graph(layout=KINECT_V1.graph_layout(), mode=mode)  # mmaction's own dict form
    np.testing.assert_array_equal(g.A, ref.A)
    adjacency = (g.A.sum(0) > 0) & ~np.eye(20, dtype=bool)
    edges = {frozenset((i, j)) for i, j in zip(*np.nonzero(adjacency))}
    assert edges == source_md_bones()
    if mode == 'spatial':
        np.testing.assert_array_equal(g.A[0], np.eye(20))
        for v, p in KINECT_V1.inward:  # inward: column v (child) feeds row p (parent)
            assert g.A[1][p, v] > 0 and g.A[2][v, p] > 0


def test_mmaction_graph_builtin_names_unchanged():
    from mmaction.models.utils import Graph
    for name, n in (('nturgb+d', 25), ('openpose', 18), ('coco', 17)):
        g = Graph(layout=name, mode='spatial')
        assert g.layout == name and g.A.shape == (3, n, n)
    with pytest.raises(AssertionError):
        Graph(layout='kinect_v2', mode='spatial')


def test_joint_to_bone_kinect_v1():
    from mmaction.datasets.transforms import JointToBone
    rng = np.random.default_rng(0)
    kp = rng.normal(size=(2, 4, 20, 3)).astype(np.float32)
    out = JointToBone(dataset='kinect_v1')(dict(keypoint=kp.copy()))['keypoint']
    for v in range(20):
        p = KINECT_V1.parents[v]
        np.testing.assert_allclose(out[..., v, :], kp[..., v, :] - kp[..., p, :], rtol=0, atol=1e-6)
    assert np.all(out[..., 2, :] == 0)  # the centre is its own parent
    # 3D: the third coordinate is a coordinate, not a score (mmaction averages scores only for 2D layouts)
    assert not np.allclose(out[..., 0, 2], (kp[..., 0, 2] + kp[..., 2, 2]) / 2)


def test_joint_to_bone_builtin_unchanged():
    from mmaction.datasets.transforms import JointToBone
    t = JointToBone(dataset='nturgb+d')
    assert t.pairs[0] == (0, 1) and len(t.pairs) == 25
    with pytest.raises(ValueError, match='kinect_v2 is not supported'):
        JointToBone(dataset='kinect_v2')


def test_gen_ske_feat_kinect_v1():
    from mmaction.datasets.transforms import GenSkeFeat
    rng = np.random.default_rng(1)
    kp = rng.normal(size=(1, 6, 20, 3)).astype(np.float32)
    out = GenSkeFeat(dataset='kinect_v1', feats=['b'])(dict(keypoint=kp.copy()))['keypoint']
    assert out.shape == (1, 6, 20, 3)
    np.testing.assert_allclose(out[..., 13, :], kp[..., 13, :] - kp[..., 4, :], atol=1e-6)  # left knee - hip
    both = GenSkeFeat(dataset='kinect_v1', feats=['j', 'b', 'bm'])(dict(keypoint=kp.copy()))['keypoint']
    assert both.shape == (1, 6, 20, 9)
    np.testing.assert_array_equal(both[..., :3], kp)
    np.testing.assert_allclose(both[..., 3:6], out, atol=1e-6)
    np.testing.assert_allclose(both[:, :5, :, 6:], np.diff(out, axis=1), atol=1e-6)


def test_register_layout_rules(monkeypatch):
    monkeypatch.setattr(layouts, 'LAYOUTS', dict(layouts.LAYOUTS))
    for name in ('nturgb+d', 'openpose', 'coco'):
        with pytest.raises(ValueError, match="built-in layouts"):
            register_layout(SkeletonLayout(name, ('a', 'b'), (0, 0), 0, (0, 1), (0, 1)))
        assert name not in LAYOUTS
    with pytest.raises(ValueError, match=r"'coco' is one of mmaction's built-in"):
        register_layout(SkeletonLayout('mine', ('a', 'b'), (0, 0), 0, (0, 1), (0, 1)), 'coco')
    assert 'mine' not in layouts.LAYOUTS  # a refused alias registers nothing
    with pytest.raises(KeyError, match=r"unknown skeleton layout 'nope'.*kinect_v1"):
        get_layout('nope')


def test_register_custom_layout_reaches_mmaction(monkeypatch):
    from mmaction.datasets.transforms import JointToBone
    from mmaction.models.utils import Graph
    monkeypatch.setattr(layouts, 'LAYOUTS', dict(layouts.LAYOUTS))
    chain = register_layout(SkeletonLayout('chain4', ('a', 'b', 'c', 'd'), (1, 1, 1, 2), 1, (1, 2), (0, 2)))
    assert chain.inward == [(0, 1), (2, 1), (3, 2)]
    assert Graph(layout='chain4', mode='spatial').A.shape == (3, 4, 4)
    kp = np.arange(12, dtype=np.float32).reshape(1, 1, 4, 3)
    bone = JointToBone(dataset='chain4')(dict(keypoint=kp))['keypoint']
    np.testing.assert_array_equal(bone[0, 0], [[-3, -3, -3], [0, 0, 0], [3, 3, 3], [3, 3, 3]])


def test_skeleton_layout_validation():
    with pytest.raises(ValueError, match='joint 0 never reaches the centre'):
        SkeletonLayout('cyc', ('a', 'b', 'c'), (1, 0, 2), 2, (0, 1), (0, 1))
    with pytest.raises(ValueError, match='centre joint must be its own parent'):
        SkeletonLayout('c', ('a', 'b'), (1, 0), 0, (0, 1), (0, 1))
    with pytest.raises(ValueError, match='2 joints but 3 parents'):
        SkeletonLayout('n', ('a', 'b'), (0, 0, 0), 0, (0, 1), (0, 1))
    with pytest.raises(ValueError, match='joint 1 has parent 5 outside 0..1'):
        SkeletonLayout('o', ('a', 'b'), (0, 5), 0, (0, 1), (0, 1))


def test_check_joint_count():
    layouts.check_joint_count('kinect_v1', 20, 'x')
    layouts.check_joint_count('nturgb+d', 25, 'x')
    with pytest.raises(ValueError, match="data.pkl: the data has 25 joints but layout 'kinect_v1' has 20"):
        layouts.check_joint_count('kinect_v1', 25, 'data.pkl')
    with pytest.raises(ValueError, match="has 17"):
        layouts.check_joint_count('coco', 18, 'd')


# --------------------------------------------------------------------------------------- class subsets
@pytest.mark.parametrize('split,seen,unseen', [
    ('ntu60_55_5', 55, 5), ('ntu60_48_12', 48, 12), ('ntu120_110_10', 110, 10), ('ntu120_96_24', 96, 24),
    ('pku_mmd_46_5', 46, 5), ('pku_mmd_39_12', 39, 12), ('msr_action3d_15_5', 15, 5)])
def test_zsl_class_names_counts(split, seen, unseen):
    spec = zsl_splits()[split]
    names = load_label_map(spec['dataset'])
    s, u = zsl_class_names(split, 'seen'), zsl_class_names(split, 'unseen')
    assert (len(s), len(u)) == (seen, unseen)
    assert not set(s) & set(u) and set(s) | set(u) == set(names)
    assert s == [n for n in names if n in set(s)]  # label-map order
    assert u == [names[i] for i in sorted(spec['unseen'])]
    assert zsl_class_names(split, 'all') == names


def test_zsl_known_members_and_errors():
    # SynSE's NTU-60 55/5 unseen classes: A11, A12, A20, A27, A57
    assert zsl_class_names('ntu60_55_5', 'unseen') == [
        'reading', 'writing', 'put on a hat/cap', 'jump up', "touch other person's pocket"]
    assert sorted(zsl_splits()) == sorted(['ntu60_55_5', 'ntu60_48_12', 'ntu120_110_10', 'ntu120_96_24',
                                           'pku_mmd_46_5', 'pku_mmd_39_12', 'msr_action3d_15_5',
                                           'ntu60_to_ntu120_p1'])
    # P1's 10 classes are NTU-120 classes that NTU-60 lacks
    p1 = zsl_class_names('ntu60_to_ntu120_p1', 'unseen')
    assert len(p1) == 10 and not set(p1) & set(load_label_map('ntu60'))
    with pytest.raises(KeyError, match="unknown zero-shot split 'x'"):
        zsl_class_names('x', 'seen')
    with pytest.raises(ValueError, match='part must be'):
        zsl_class_names('ntu60_55_5', 'train')
    msr = load_label_map('msr_action3d')
    assert resolve_class_subset(None, msr) is None
    assert resolve_class_subset(['bend', 'hammer'], msr) == ['bend', 'hammer']
    assert resolve_class_subset(dict(zsl_split='msr_action3d_15_5'), msr) == \
        zsl_class_names('msr_action3d_15_5', 'seen')  # part defaults to seen
    with pytest.raises(ValueError, match='empty'):
        resolve_class_subset([], msr)
