"""MSR Action3D (Li et al. 2010) skeleton text files -> an MMAction2 ``PoseDataset`` pickle.

Raw format (see the dataset's SOURCE.md): one file per sequence, ``aXX_sYY_eZZ_skeleton3D.txt``, 4 floats per
line (``x y z confidence``, metres, camera coordinates), 20 lines (joints, Kinect-v1 order) per frame.

Output (the layout of mmaction's ``ntu60_3d.pkl``)::

    dict(split=dict(xsub_train=[...], xsub_val=[...], as1_train=[...], ..., as3_val=[...]),
         annotations=[dict(frame_dir='a01_s01_e01', label=0, keypoint=float32 (1, T, 20, 3),
                           total_frames=T, joint_confidence=float32 (1, T, 20),
                           subject=1, execution=1), ...])

Splits (standard protocols):

* ``xsub_train`` / ``xsub_val``: the 557 sequences of ``files_used_in_cvpr12_paper.txt``, training subjects
  1, 3, 5, 7, 9 (284 sequences) and test subjects 2, 4, 6, 8, 10 (273 sequences), all 20 classes.
* ``as{1,2,3}_{train,val}``: Li et al.'s three 8-class action sets, same subject split, labels stay 0..19.

Sequences that cannot be read or are all zeros are excluded with a logged line naming them; sequences outside
the 557 list are kept in ``annotations`` (usable by custom splits) but in no standard split.
"""
from __future__ import annotations

import os
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

NUM_JOINTS = 20
XSUB_TRAIN_SUBJECTS = (1, 3, 5, 7, 9)
#: Li et al. 2010 action sets (1-based action ids, from ``tr_te_splits.mat``).
ACTION_SETS = {
    'as1': (2, 3, 5, 6, 10, 13, 18, 20),
    'as2': (1, 4, 7, 8, 9, 11, 12, 14),
    'as3': (6, 14, 15, 16, 17, 18, 19, 20),
}
STANDARD_LIST = 'files_used_in_cvpr12_paper.txt'
_NAME = re.compile(r'^a(\d{2})_s(\d{2})_e(\d{2})_skeleton3D\.txt$')


class MSRFormatError(ValueError):
    """A raw MSR Action3D file does not follow the format; the message names the file and line."""


def parse_sequence_id(filename: str):
    """``'a01_s02_e03_skeleton3D.txt'`` -> ``('a01_s02_e03', action=1, subject=2, execution=3)``."""
    m = _NAME.match(osp.basename(filename))
    if m is None:
        raise MSRFormatError(f'{filename}: name does not match aXX_sYY_eZZ_skeleton3D.txt')
    a, s, e = (int(g) for g in m.groups())
    return f'a{a:02d}_s{s:02d}_e{e:02d}', a, s, e


def read_skeleton_file(path: str) -> np.ndarray:
    """Read one sequence.

    Returns:
        np.ndarray: float32 array of shape (T, 20, 4): x, y, z, confidence.

    Raises:
        MSRFormatError: naming the file and the first bad line.
    """
    rows = []
    with open(path, encoding='ascii', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise MSRFormatError(f'{path}, line {lineno}: expected 4 numbers (x y z confidence), '
                                     f'got {len(parts)}: {line.strip()[:60]!r}')
            try:
                rows.append([float(p) for p in parts])
            except ValueError:
                raise MSRFormatError(f'{path}, line {lineno}: not a number in {line.strip()[:60]!r}') from None
    if not rows:
        raise MSRFormatError(f'{path}: empty file (expected 20 lines per frame)')
    if len(rows) % NUM_JOINTS:
        raise MSRFormatError(f'{path}: {len(rows)} joint lines is not a multiple of {NUM_JOINTS} '
                             '(20 joints per frame); the file is truncated')
    arr = np.asarray(rows, dtype=np.float32).reshape(-1, NUM_JOINTS, 4)
    if not np.isfinite(arr).all():
        raise MSRFormatError(f'{path}: contains NaN or inf')
    return arr


def read_standard_list(raw_root: str) -> Optional[List[str]]:
    """Sequence ids of the standard 557-sequence list, or None when the list file is absent."""
    for cand in (osp.join(raw_root, STANDARD_LIST), osp.join(osp.dirname(raw_root.rstrip('/')), STANDARD_LIST)):
        if osp.isfile(cand):
            with open(cand) as f:
                return [line.strip() for line in f if line.strip()]
    return None


def find_skeleton_files(raw_root: str) -> List[str]:
    """All ``*_skeleton3D.txt`` files under ``raw_root`` (or its ``real_world_coordinates/`` folder)."""
    for cand in (raw_root, osp.join(raw_root, 'real_world_coordinates')):
        if osp.isdir(cand):
            files = sorted(f for f in os.listdir(cand) if f.endswith('_skeleton3D.txt'))
            if files:
                return [osp.join(cand, f) for f in files]
    raise FileNotFoundError(f'no aXX_sYY_eZZ_skeleton3D.txt files in {raw_root} or '
                            f'{osp.join(raw_root, "real_world_coordinates")}; see README (MSR Action3D) for '
                            'where to get the dataset')


def convert_msr_action3d(raw_root: str,
                         log: Callable[[str], None] = print,
                         progress: Optional[Callable[[Sequence], Sequence]] = None) -> Dict:
    """Convert the raw dataset into the PoseDataset dict described in the module docstring.

    Args:
        raw_root (str): Folder with the ``*_skeleton3D.txt`` files (or its parent holding
            ``real_world_coordinates/`` and ``files_used_in_cvpr12_paper.txt``).
        log (callable): Receives one line per excluded sequence and a summary.
        progress (callable, optional): Wraps the file list for a progress bar (e.g. ``mmengine.track_iter_progress``).
    """
    files = find_skeleton_files(raw_root)
    standard = read_standard_list(raw_root)
    if standard is None:
        root_for_list = osp.dirname(files[0])
        standard = read_standard_list(root_for_list)
    if standard is None:
        log(f'[msr_action3d] {STANDARD_LIST} not found next to the data: standard splits use every readable '
            'non-zero sequence')
    standard_set = set(standard) if standard is not None else None

    annotations, excluded = [], []
    for path in (progress(files) if progress else files):
        seq, action, subject, execution = parse_sequence_id(path)
        try:
            arr = read_skeleton_file(path)
        except MSRFormatError as e:
            excluded.append(seq)
            log(f'[msr_action3d] excluded {seq}: unreadable ({e})')
            continue
        if not np.any(arr[..., :3]):
            excluded.append(seq)
            log(f'[msr_action3d] excluded {seq}: all joints are zero in all {arr.shape[0]} frames ({path})')
            continue
        annotations.append(
            dict(frame_dir=seq, label=action - 1, keypoint=arr[None, ..., :3].copy(),
                 joint_confidence=arr[None, ..., 3].copy(), total_frames=int(arr.shape[0]), subject=subject,
                 execution=execution))

    in_protocol = [a for a in annotations if standard_set is None or a['frame_dir'] in standard_set]
    if standard_set is not None:
        available = {a['frame_dir'] for a in annotations}
        missing = sorted(standard_set - available)
        for seq in missing:
            log(f'[msr_action3d] sequence {seq} of the standard list is missing or excluded')
    split = {
        'xsub_train': [a['frame_dir'] for a in in_protocol if a['subject'] in XSUB_TRAIN_SUBJECTS],
        'xsub_val': [a['frame_dir'] for a in in_protocol if a['subject'] not in XSUB_TRAIN_SUBJECTS],
    }
    for name, actions in ACTION_SETS.items():
        members = [a for a in in_protocol if a['label'] + 1 in actions]
        split[f'{name}_train'] = [a['frame_dir'] for a in members if a['subject'] in XSUB_TRAIN_SUBJECTS]
        split[f'{name}_val'] = [a['frame_dir'] for a in members if a['subject'] not in XSUB_TRAIN_SUBJECTS]
    log(f'[msr_action3d] {len(annotations)} sequences converted, {len(excluded)} excluded; '
        f'xsub_train {len(split["xsub_train"])}, xsub_val {len(split["xsub_val"])}')
    return dict(split=split, annotations=annotations)
