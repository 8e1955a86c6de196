"""Read skeleton files of the formats ``tools/infer.py`` accepts into PoseDataset sample dicts."""
from __future__ import annotations

import os.path as osp
from typing import Dict, List

import numpy as np

from .inference import keypoints_to_sample


class InputFormatError(ValueError):
    """An input file is not a skeleton file this tool reads; the message names it and what was expected."""


#: How ``tools/infer.py`` turns on full unpickling of its ``.pkl`` inputs (for the refusal message).
TRUST_PICKLE_OPT_IN = '--trust-pickle (tools/infer.py) or trust_pickle=True (read_skeleton_input)'


def read_skeleton_input(path: str, trust_pickle: bool = False) -> List[Dict]:
    """Samples from ``path``:

    * ``*_skeleton3D.txt`` / ``.txt``: an MSR Action3D file (20 joints x ``x y z c`` per frame);
    * ``.skeleton``: an NTU RGB+D file (two most active bodies kept, as the converter does);
    * ``.npy`` / ``.npz``: an array ``(T, V, C)`` or ``(M, T, V, C)`` (``.npz``: key ``keypoint`` or the only array);
    * ``.pkl``: a PoseDataset pickle (every sample of ``annotations``), loaded with a restricted unpickler
      (dicts, lists, strings, numbers, numpy arrays; anything else is refused with
      :class:`~sugar_mm.utils.safe_pickle.UnsafePickleError`) unless ``trust_pickle``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    name = osp.basename(path)
    ext = osp.splitext(path)[1].lower()
    if ext == '.txt':
        from sugar_mm.datasets.converters.msr_action3d import read_skeleton_file
        arr = read_skeleton_file(path)  # raises MSRFormatError naming the file and line
        return [keypoints_to_sample(arr[None, ..., :3], name)]
    if ext == '.skeleton':
        from sugar_mm.datasets.converters.ntu_rgbd import read_skeleton_file, select_bodies
        kp = select_bodies(read_skeleton_file(path))
        if kp.shape[0] == 0:
            raise InputFormatError(f'{path}: no body is tracked in any frame')
        return [keypoints_to_sample(kp, osp.splitext(name)[0])]
    if ext in ('.npy', '.npz'):
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise InputFormatError(f'{path}: not a plain numeric array ({e})') from e
        if ext == '.npz':
            keys = list(data.keys())
            key = 'keypoint' if 'keypoint' in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise InputFormatError(f'{path}: several arrays {keys}; name the skeleton one "keypoint"')
            data = data[key]
        return [keypoints_to_sample(data, name)]
    if ext in ('.pkl', '.pickle'):
        from sugar_mm.datasets.skeleton_dataset import check_sample, load_annotation_file
        annos = load_annotation_file(path, trust_pickle, opt_in=TRUST_PICKLE_OPT_IN)['annotations']
        samples = []
        for i, a in enumerate(annos):
            sid = a.get('frame_dir', f'#{i}') if isinstance(a, dict) else f'#{i}'
            reason = check_sample(a)
            if reason is not None:
                raise InputFormatError(f'{path}: sample {sid!r}: {reason}')
            s = dict(a)
            s.setdefault('start_index', 0)
            s.setdefault('modality', 'Pose')
            samples.append(s)
        return samples
    raise InputFormatError(f'{path}: unknown skeleton format {ext!r}; expected an MSR Action3D .txt, an NTU '
                           '.skeleton, a .npy/.npz array (T, V, C) or (M, T, V, C), or a PoseDataset .pkl')
