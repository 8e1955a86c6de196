"""Named skeleton layouts that mmaction's graph and bone transforms understand.

mmaction hard-codes its layouts by name in two places: ``mmaction.models.utils.Graph`` (``'openpose'``,
``'nturgb+d'``, ``'coco'``; any other *string* fails an assert, although a dict layout works) and the pose
transforms ``JointToBone`` / ``ToMotion`` / ``GenSkeFeat`` (``dataset='nturgb+d'``...). This module keeps a
small registry of :class:`SkeletonLayout` and teaches both places to resolve a registered name, by translating
it to mmaction's own dict form (``Graph``) or bone pairs (``JointToBone``) and otherwise deferring to mmaction.
So ``graph_cfg=dict(layout='kinect_v1')`` and ``GenSkeFeat(dataset='kinect_v1', feats=['b'])`` work in any
config once ``sugar_mm`` is imported; mmaction's own names are untouched.

``PreNormalize3D``'s default axis joints are NTU's (``zaxis=[0, 1]`` hip->spine, ``xaxis=[8, 4]`` shoulders);
use :meth:`SkeletonLayout.prenormalize_cfg` for the right ones of a layout.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

__all__ = ['SkeletonLayout', 'LAYOUTS', 'register_layout', 'get_layout', 'KINECT_V1', 'TOYOTA_13']


@dataclass(frozen=True)
class SkeletonLayout:
    """A skeleton's joints and bones.

    Args:
        name (str): Registry name.
        joints (Sequence[str]): Joint names, in the data's joint order (0-based indices below).
        parents (Sequence[int]): Parent joint of every joint, towards ``center``; ``parents[center] == center``.
            The graph's inward edges are ``(v, parents[v])`` and a joint's bone vector is ``x[v] - x[parents[v]]``.
        center (int): The graph centre (ST-GCN's spatial partition centre).
        spine (tuple[int, int]): ``(bottom, top)`` joints aligned with the z axis by ``PreNormalize3D``.
        shoulders (tuple[int, int]): ``(right, left)`` joints aligned with the x axis by ``PreNormalize3D``.
        body_parts (dict[str, list[int]]): Joints of the six knowledge body parts (head/hand/arm/hip/leg/foot).
    """

    name: str
    joints: Tuple[str, ...]
    parents: Tuple[int, ...]
    center: int
    spine: Tuple[int, int]
    shoulders: Tuple[int, int]
    body_parts: Dict[str, Tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.joints)
        if len(self.parents) != n:
            raise ValueError(f'layout {self.name!r}: {n} joints but {len(self.parents)} parents')
        if self.parents[self.center] != self.center:
            raise ValueError(f'layout {self.name!r}: the centre joint must be its own parent')
        for v, p in enumerate(self.parents):
            if not 0 <= p < n:
                raise ValueError(f'layout {self.name!r}: joint {v} has parent {p} outside 0..{n - 1}')
        # every joint must reach the centre (the parents form a tree)
        for v in range(n):
            seen, u = set(), v
            while u != self.center:
                if u in seen:
                    raise ValueError(f'layout {self.name!r}: joint {v} never reaches the centre (cycle)')
                seen.add(u)
                u = self.parents[u]

    @property
    def num_node(self) -> int:
        return len(self.joints)

    @property
    def inward(self) -> List[Tuple[int, int]]:
        """Edges ``(child, parent)`` pointing towards the centre (mmaction's ``Graph`` convention)."""
        return [(v, p) for v, p in enumerate(self.parents) if v != p]

    @property
    def bone_pairs(self) -> List[Tuple[int, int]]:
        """``(joint, parent)`` for every joint (the centre paired with itself), as ``JointToBone`` wants."""
        return [(v, p) for v, p in enumerate(self.parents)]

    @property
    def mirror_pairs(self) -> List[Tuple[int, int]]:
        """``(left, right)`` joint pairs found by name (``left_x`` / ``right_x``): what a mirror image swaps."""
        index = {name: i for i, name in enumerate(self.joints)}
        return [(i, index['right_' + name[len('left_'):]]) for i, name in enumerate(self.joints)
                if name.startswith('left_') and 'right_' + name[len('left_'):] in index]

    def graph_layout(self) -> dict:
        """The dict form mmaction's ``Graph(layout=...)`` accepts."""
        return dict(num_node=self.num_node, inward=self.inward, center=self.center)

    def prenormalize_cfg(self) -> dict:
        """``PreNormalize3D`` arguments with this layout's axis joints (as ``FastPreNormalize3D``: same output)."""
        return dict(type='FastPreNormalize3D', zaxis=list(self.spine), xaxis=list(self.shoulders))


LAYOUTS: Dict[str, SkeletonLayout] = {}


def register_layout(layout: SkeletonLayout, *aliases: str) -> SkeletonLayout:
    """Register ``layout`` under its name and ``aliases``; mmaction's own names cannot be overridden."""
    names = (layout.name, ) + aliases
    for name in names:  # check every name first: a refused alias leaves nothing registered
        if name in _MMACTION_BUILTIN:
            raise ValueError(f'{name!r} is one of mmaction\'s built-in layouts')
    for name in names:
        LAYOUTS[name] = layout
    return layout


def get_layout(name: str) -> SkeletonLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f'unknown skeleton layout {name!r}; registered: {sorted(LAYOUTS)}, '
                       f'mmaction built-ins: {sorted(_MMACTION_BUILTIN)}') from None


_MMACTION_BUILTIN = ('openpose', 'nturgb+d', 'coco')

#: Kinect v1 (MSR Action3D), joint order of Vemulapalli's ``body_model.mat`` (see the dataset's SOURCE.md).
KINECT_V1 = register_layout(
    SkeletonLayout(
        name='kinect_v1',
        joints=('left_shoulder', 'right_shoulder', 'shoulder_center', 'spine', 'left_hip', 'right_hip',
                'hip_center', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hand',
                'right_hand', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_foot', 'right_foot',
                'head'),
        # bones of SOURCE.md (1-based): (7,4) (4,3) (3,20) (3,1) (3,2) (1,8) (2,9) (8,10) (9,11) (10,12) (11,13)
        # (7,5) (7,6) (5,14) (6,15) (14,16) (15,17) (16,18) (17,19), rooted at the shoulder centre.
        parents=(2, 2, 2, 2, 6, 6, 3, 0, 1, 7, 8, 9, 10, 4, 5, 13, 14, 15, 16, 2),
        center=2,
        spine=(6, 3),
        shoulders=(1, 0),
        body_parts=dict(head=(19, 2), hand=(11, 12, 9, 10), arm=(0, 1, 7, 8), hip=(4, 5, 6, 3),
                        leg=(13, 14), foot=(15, 16, 17, 18))),
    'msr_action3d')

#: LCR-Net++ 13-joint pose (Toyota Smarthome), joint order of the dataset's pose files.
TOYOTA_13 = register_layout(
    SkeletonLayout(
        name='toyota_13',
        joints=('right_ankle', 'left_ankle', 'right_knee', 'left_knee', 'right_hip', 'left_hip', 'right_wrist',
                'left_wrist', 'right_elbow', 'left_elbow', 'right_shoulder', 'left_shoulder', 'head'),
        # no neck/pelvis joint: the head is the centre; shoulders hang from it and hips from the shoulders
        parents=(2, 3, 4, 5, 10, 11, 8, 9, 10, 11, 12, 12, 12),
        center=12,
        spine=(4, 10),
        shoulders=(10, 11),
        body_parts=dict(head=(12, ), hand=(6, 7), arm=(8, 9, 10, 11), hip=(4, 5), leg=(2, 3), foot=(0, 1))),
    'toyota')


# --------------------------------------------------------------------------------------------------------
# Teach mmaction's Graph and bone transforms the registered names (idempotent, no-op for built-in names).
# --------------------------------------------------------------------------------------------------------
def _extend_mmaction() -> None:
    from mmaction.datasets.transforms import pose_transforms as pt
    from mmaction.models import utils as model_utils
    from mmaction.models.utils import graph as graph_mod

    graph_cls = graph_mod.Graph
    if not getattr(graph_cls.__init__, '_sugar_mm_layouts', False):
        original_graph_init = graph_cls.__init__

        @functools.wraps(original_graph_init)
        def graph_init(self, layout='coco', mode='spatial', max_hop=1):
            if isinstance(layout, str) and layout in LAYOUTS:
                original_graph_init(self, LAYOUTS[layout].graph_layout(), mode, max_hop)
                self.layout = layout
            else:
                original_graph_init(self, layout, mode, max_hop)

        graph_init._sugar_mm_layouts = True
        graph_cls.__init__ = graph_init
    assert model_utils.Graph is graph_cls

    j2b = pt.JointToBone
    if not getattr(j2b.__init__, '_sugar_mm_layouts', False):
        original_j2b_init = j2b.__init__

        @functools.wraps(original_j2b_init)
        def j2b_init(self, dataset='nturgb+d', target='keypoint'):
            if dataset in LAYOUTS:
                self.dataset = dataset
                self.target = target
                self.pairs = tuple(LAYOUTS[dataset].bone_pairs)
            else:
                original_j2b_init(self, dataset, target)

        j2b_init._sugar_mm_layouts = True
        j2b.__init__ = j2b_init


def check_joint_count(layout: str, num_joints: int, where: str) -> None:
    """Raise a clear error when data with ``num_joints`` joints is fed to a ``layout`` graph."""
    expected = get_layout(layout).num_node if layout in LAYOUTS else \
        {'nturgb+d': 25, 'openpose': 18, 'coco': 17}.get(layout)
    if expected is not None and expected != num_joints:
        raise ValueError(f'{where}: the data has {num_joints} joints but layout {layout!r} has {expected}')


_extend_mmaction()


def layout_names() -> Sequence[str]:
    return tuple(LAYOUTS) + _MMACTION_BUILTIN
