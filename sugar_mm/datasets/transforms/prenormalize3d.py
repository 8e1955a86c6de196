"""mmaction's ``PreNormalize3D`` with its per-frame zero test vectorised (same output, ~10x less time)."""
from __future__ import annotations

from typing import Dict

import numpy as np
from mmaction.datasets.transforms import PreNormalize3D

from sugar_mm.registry import TRANSFORMS


def _nonzero_frames(person: np.ndarray) -> np.ndarray:
    """Indices of the frames of one person (T, V, C) with a coordinate not close to 0 (mmaction's test)."""
    return np.flatnonzero(~np.isclose(person, 0).reshape(person.shape[0], -1).all(axis=1))


@TRANSFORMS.register_module()
class FastPreNormalize3D(PreNormalize3D):
    """:class:`mmaction.datasets.transforms.PreNormalize3D`, the same output to the bit, faster.

    mmaction tests every frame for all-zero joints with a Python loop of ``np.isclose`` calls: 3 ms of the 3.4 ms a
    MSR Action3D training sample spends in the whole pipeline (cProfile). Here that test is one array operation;
    the centring and the two rotations are mmaction's (its helpers, in the same order).

    Required Keys:

        - keypoint (M, T, V, C), M in {1, 2}
        - total_frames (optional)

    Modified Keys:

        - keypoint
        - total_frames

    Added Keys:

        - body_center

    Args: as ``PreNormalize3D`` (``zaxis``, ``xaxis``: the joints that define the target Z and X axes; on
        Kinect v1's 20 joints ``zaxis=[6, 3], xaxis=[1, 0]``, see ``configs/_base_/datasets/msr_action3d_xsub.py``).
    """

    def transform(self, results: Dict) -> Dict:
        skeleton = results['keypoint']
        M, T, V, C = skeleton.shape
        total_frames = results.get('total_frames', T)
        if T != total_frames:
            raise ValueError(f'{self.__class__.__name__}: keypoint has {T} frames but total_frames is {total_frames} '
                             f'(sample {results.get("frame_dir", "?")})')
        if skeleton.sum() == 0:
            return results
        if M not in (1, 2):
            raise ValueError(f'{self.__class__.__name__} takes 1 or 2 persons, got {M} '
                             f'(sample {results.get("frame_dir", "?")})')
        index0 = _nonzero_frames(skeleton[0])
        if M == 2:
            index1 = _nonzero_frames(skeleton[1])
            if len(index0) < len(index1):
                skeleton = skeleton[:, index1][[1, 0]]
            else:
                skeleton = skeleton[:, index0]
        else:
            skeleton = skeleton[:, index0]
        T_new = skeleton.shape[1]

        main_body_center = None
        if self.align_center:
            main_body_center = skeleton[0, 0, 1 if V == 25 else -1].copy()
            mask = ((skeleton != 0).sum(-1) > 0)[..., None]
            skeleton = (skeleton - main_body_center) * mask
        if self.align_spine:
            bottom, top = skeleton[0, 0, self.zaxis[0]], skeleton[0, 0, self.zaxis[1]]
            matrix_z = self.rotation_matrix(np.cross(top - bottom, [0, 0, 1]),
                                            self.angle_between(top - bottom, [0, 0, 1]))
            skeleton = np.einsum('abcd,kd->abck', skeleton, matrix_z)
        if self.align_shoulder:
            right, left = skeleton[0, 0, self.xaxis[0]], skeleton[0, 0, self.xaxis[1]]
            matrix_x = self.rotation_matrix(np.cross(right - left, [1, 0, 0]),
                                            self.angle_between(right - left, [1, 0, 0]))
            skeleton = np.einsum('abcd,kd->abck', skeleton, matrix_x)

        results['keypoint'] = skeleton
        results['total_frames'] = T_new
        results['body_center'] = main_body_center
        return results
