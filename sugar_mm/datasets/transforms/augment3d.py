"""3D skeleton augmentation (mmaction 1.2 has none for 3D joints)."""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from sugar_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRotateScale3D(BaseTransform):
    """Randomly rotate (about each axis) and scale 3D keypoints, the same for every frame and person.

    Required Keys:

        - keypoint (M, T, V, 3)

    Modified Keys:

        - keypoint

    Args:
        max_angle (float | Sequence[float]): Maximum rotation (degrees) about x, y, z. Defaults to 15.
        scale (tuple[float, float]): Range of the isotropic scale factor. Defaults to (0.9, 1.1).
        prob (float): Probability of applying the transform. Defaults to 1.
    """

    def __init__(self, max_angle=15.0, scale: Tuple[float, float] = (0.9, 1.1), prob: float = 1.0) -> None:
        angles = [float(max_angle)] * 3 if np.isscalar(max_angle) else [float(a) for a in max_angle]
        if len(angles) != 3:
            raise ValueError(f'max_angle must be a number or 3 numbers, got {max_angle!r}')
        self.max_angle = np.deg2rad(angles)
        self.scale = tuple(scale)
        self.prob = prob

    @staticmethod
    def rotation(ax: float, ay: float, az: float) -> np.ndarray:
        cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
        rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        return rz @ ry @ rx

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        if kp.shape[-1] != 3:
            raise ValueError(f'RandomRotateScale3D needs 3D keypoints, got {kp.shape[-1]} coordinates '
                             f'(sample {results.get("frame_dir", "?")})')
        if np.random.rand() >= self.prob:
            return results
        angles = np.random.uniform(-self.max_angle, self.max_angle)
        s = np.random.uniform(*self.scale)
        mat = (self.rotation(*angles) * s).astype(kp.dtype)
        mask = np.any(kp != 0, axis=-1, keepdims=True)  # absent joints/persons stay at zero
        results['keypoint'] = (kp @ mat.T) * mask
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_angle={np.rad2deg(self.max_angle).tolist()}, '
                f'scale={self.scale}, prob={self.prob})')


#: mmaction's built-in 'nturgb+d' layout (25 joints, 0-based): its left/right joint pairs (shoulder, elbow, wrist,
#: hand, hip, knee, ankle, foot, hand tip, thumb)
NTU_MIRROR_PAIRS = ((4, 8), (5, 9), (6, 10), (7, 11), (12, 16), (13, 17), (14, 18), (15, 19), (21, 23), (22, 24))


@TRANSFORMS.register_module()
class RandomMirror3D(BaseTransform):
    """Randomly mirror 3D keypoints through the body's sagittal plane: one coordinate negated, left and right
    joints swapped (so a right-arm wave becomes a left-arm wave, drawn with a left-handed skeleton).

    Use it after ``(Fast)PreNormalize3D``, which centres the body and turns the shoulder line onto the x axis: the
    plane ``x = 0`` is then the sagittal plane. Whether a dataset's classes survive a mirror image (a class that
    names a side would not) is the config's choice.

    Required Keys:

        - keypoint (M, T, V, 3)

    Modified Keys:

        - keypoint

    Args:
        layout (str): A registered layout (``sugar_mm.datasets.layouts``; its joints named ``left_*`` / ``right_*``
            are swapped) or mmaction's ``'nturgb+d'``.
        axis (int): The coordinate negated. Defaults to 0 (x).
        prob (float): Probability of mirroring a sample. Defaults to 0.5.
    """

    def __init__(self, layout: str, axis: int = 0, prob: float = 0.5) -> None:
        if layout == 'nturgb+d':
            pairs, num_joints = NTU_MIRROR_PAIRS, 25
        else:
            from sugar_mm.datasets.layouts import get_layout
            lay = get_layout(layout)
            pairs, num_joints = lay.mirror_pairs, lay.num_node
        if not pairs:
            raise ValueError(f'layout {layout!r} has no left/right joint pairs to swap')
        if axis not in (0, 1, 2):
            raise ValueError(f'axis must be 0, 1 or 2, got {axis}')
        self.layout, self.axis, self.prob, self.num_joints = layout, axis, prob, num_joints
        perm = np.arange(num_joints)
        for left, right in pairs:
            perm[left], perm[right] = right, left
        self.permutation = perm

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        if kp.ndim != 4 or kp.shape[-1] != 3 or kp.shape[2] != self.num_joints:
            raise ValueError(f'RandomMirror3D({self.layout!r}) needs keypoint (M, T, {self.num_joints}, 3), got '
                             f'{kp.shape} (sample {results.get("frame_dir", "?")})')
        if np.random.rand() >= self.prob:
            return results
        out = kp[:, :, self.permutation].copy()
        out[..., self.axis] *= -1
        results['keypoint'] = out
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(layout={self.layout!r}, axis={self.axis}, prob={self.prob})'
