"""PKU-MMD (v1) untrimmed skeleton videos + action labels -> a trimmed-clip MMAction2 ``PoseDataset`` pickle.

Raw format (the official release, see ``pku_mmd_meta/SOURCE.md``), one video id per file, e.g. ``0002-L``
(sequence number, camera view L / M / R):

* skeleton file ``<video>.txt`` (``PKU_Skeleton_Renew/``): one line per frame, 150 numbers = 2 persons x 25
  Kinect v2 joints x (x, y, z), person 1 first; an absent person is all zeros.
* label file ``<video>.txt`` (``Train_Label_PKU_final/``): one line per action instance,
  ``label,start_frame,end_frame,confidence`` with the 1-based class id of the 51-class list
  (``meta/label_map_pku_mmd.txt``).
* split files ``cross-subject.txt`` and ``cross-view.txt``: a ``Training videos:`` line followed by
  comma-separated video ids, then a ``Validataion videos:`` line (sic; ``Validation`` is accepted too)
  followed by ids. Ids may also follow the colon on the header line and may span several lines.

Frame indexing: ``start_frame`` / ``end_frame`` are taken as 0-based line indices of the skeleton file with an
inclusive end (clip = lines ``start..end``), as in public PKU-MMD skeleton preprocessing code
(``data[:, start:end + 1]``); ``frame_index_base=1`` reads them as 1-based instead. An instance that reaches
beyond the last frame is clipped to the available frames (logged); one with no frame left is excluded (logged).

Output (the layout of mmaction's ``ntu60_3d.pkl``, one annotation per action instance)::

    dict(split=dict(xsub_train=[...], xsub_val=[...], xview_train=[...], xview_val=[...]),
         annotations=[dict(frame_dir='0002-L_3', label=40, keypoint=float32 (M, T, 25, 3), total_frames=T,
                           video_id='0002-L', view='L', segment=(start, end), confidence=1.0), ...])

``frame_dir`` is the video id and the 0-based index of the instance's line in the label file (stable whatever
is excluded); ``label`` is ``label - 1``; ``segment`` is the label file's ``(start_frame, end_frame)``; ``M`` is 2,
or 1 when one person is all zeros over the clip (an absent person is dropped). ``*_train`` / ``*_val`` are the
split files' training / validation videos (the official protocol's train / test). Instances of videos listed in
no split file stay in ``annotations`` (usable by custom splits); such videos are logged.

Nothing is dropped silently: instances with no frame or an all-zero skeleton, label files without a skeleton
file and (unless ``strict``) videos whose files are malformed are excluded with a logged line naming them;
format errors name the file and line.
"""
from __future__ import annotations

import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from sugar_mm.datasets.label_maps import load_label_map

__all__ = ['PKUMMDFormatError', 'PKUInstance', 'read_skeleton_file', 'read_label_file', 'read_split_file',
           'find_split_files', 'convert_pku_mmd']

NUM_JOINTS = 25
NUM_PERSONS = 2
VALUES_PER_LINE = NUM_PERSONS * NUM_JOINTS * 3
#: Split file names of the official release -> protocol name used in the split keys.
SPLIT_FILES = {'xsub': 'cross-subject.txt', 'xview': 'cross-view.txt'}
_VIDEO_ID = re.compile(r'^[A-Za-z0-9]+-[LMR]$')
_TRAIN_HEADER = re.compile(r'^\s*training\s+videos?\s*:?', re.IGNORECASE)
_VAL_HEADER = re.compile(r'^\s*validat(?:a)?ion\s+videos?\s*:?', re.IGNORECASE)  # official typo too


class PKUMMDFormatError(ValueError):
    """A raw PKU-MMD file does not follow the format; the message names the file and line."""


@dataclass(frozen=True)
class PKUInstance:
    """One line of a label file.

    Attributes:
        label (int): 1-based class id.
        start (int): ``start_frame`` as written.
        end (int): ``end_frame`` as written.
        confidence (float): The annotators' confidence value.
        line (int): 1-based line number in the label file.
    """

    label: int
    start: int
    end: int
    confidence: float
    line: int


def read_skeleton_file(path: str) -> np.ndarray:
    """Read one skeleton file.

    Returns:
        np.ndarray: float32 ``(T, 2, 25, 3)``, frame ``t`` being line ``t + 1``.

    Raises:
        PKUMMDFormatError: naming the file and the first bad line (not 150 values, not a number, non-finite,
            a blank line between frames, no frame at all).
    """
    with open(path, encoding='ascii', errors='replace') as f:
        lines = f.read().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise PKUMMDFormatError(f'{path}: empty skeleton file (expected one line of {VALUES_PER_LINE} numbers '
                                'per frame)')
    rows = [line.split() for line in lines]
    try:
        arr = np.array(rows, dtype=np.float64)
        ok = arr.shape == (len(lines), VALUES_PER_LINE)
    except ValueError:
        ok = False
    if not ok:
        for k, parts in enumerate(rows):
            if not parts:
                raise PKUMMDFormatError(f'{path}, line {k + 1}: blank line between frames (every line is a frame)')
            if len(parts) != VALUES_PER_LINE:
                raise PKUMMDFormatError(f'{path}, line {k + 1}: expected {VALUES_PER_LINE} numbers (2 persons x 25 '
                                        f'joints x 3), got {len(parts)}')
            try:
                [float(p) for p in parts]
            except ValueError:
                bad = next(p for p in parts if not _is_float(p))
                raise PKUMMDFormatError(f'{path}, line {k + 1}: not a number: {bad[:30]!r}') from None
        raise PKUMMDFormatError(f'{path}: malformed skeleton file')  # pragma: no cover
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        raise PKUMMDFormatError(f'{path}, line {int(np.argmin(finite)) + 1}: non-finite value (nan or inf)')
    return arr.reshape(len(lines), NUM_PERSONS, NUM_JOINTS, 3).astype(np.float32)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_label_file(path: str, num_classes: Optional[int] = None) -> List[PKUInstance]:
    """Read one label file (``label,start_frame,end_frame,confidence`` per line; blank lines are skipped).

    Args:
        path (str): The label file.
        num_classes (int, optional): When given, labels must be in ``1..num_classes``.

    Raises:
        PKUMMDFormatError: naming the file and line (field count, not an integer, label out of range,
            negative frame, start after end).
    """
    instances = []
    with open(path, encoding='ascii', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            fields = [p.strip() for p in text.split(',')]
            while len(fields) > 4 and not fields[-1]:  # tolerate a trailing comma
                fields.pop()
            where = f'{path}, line {lineno}'
            if len(fields) != 4:
                raise PKUMMDFormatError(f'{where}: expected 4 comma-separated fields '
                                        f'(label,start_frame,end_frame,confidence), got {len(fields)}: {text[:60]!r}')
            try:
                label, start, end = (int(x) for x in fields[:3])
                confidence = float(fields[3])
            except ValueError:
                raise PKUMMDFormatError(f'{where}: label, start_frame and end_frame must be integers and '
                                        f'confidence a number: {text[:60]!r}') from None
            if label < 1 or (num_classes is not None and label > num_classes):
                raise PKUMMDFormatError(f'{where}: label {label} is outside 1..{num_classes or "N"}')
            if start < 0 or end < 0:
                raise PKUMMDFormatError(f'{where}: negative frame index in {text[:60]!r}')
            if start > end:
                raise PKUMMDFormatError(f'{where}: start_frame {start} is after end_frame {end}')
            instances.append(PKUInstance(label, start, end, confidence, lineno))
    return instances


def read_split_file(path: str) -> Tuple[List[str], List[str]]:
    """Read an official split file (format in the module docstring).

    Returns:
        tuple[list[str], list[str]]: Training and validation video ids, in file order.

    Raises:
        PKUMMDFormatError: naming the file and line (id before any header, malformed id, id in both parts,
            a header missing or repeated).
    """
    parts: Dict[str, List[str]] = {}
    current = None
    seen_at: Dict[str, Tuple[str, int]] = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            rest = line
            for name, header in (('train', _TRAIN_HEADER), ('val', _VAL_HEADER)):
                m = header.match(line)
                if m:
                    if name in parts:
                        raise PKUMMDFormatError(f'{path}, line {lineno}: second "{line.strip()[:30]}" header')
                    parts[name] = []
                    current = name
                    rest = line[m.end():]
                    break
            tokens = [t for t in re.split(r'[,\s]+', rest) if t]
            if tokens and current is None:
                raise PKUMMDFormatError(f'{path}, line {lineno}: video ids before the "Training videos:" line')
            for token in tokens:
                if not _VIDEO_ID.match(token):
                    raise PKUMMDFormatError(f'{path}, line {lineno}: {token[:30]!r} is not a video id like 0002-L')
                if token in seen_at:
                    other, other_line = seen_at[token]
                    raise PKUMMDFormatError(f'{path}, line {lineno}: video {token} is listed twice (first in the '
                                            f'{other} part, line {other_line})')
                seen_at[token] = ('training' if current == 'train' else 'validation', lineno)
                parts[current].append(token)
    for name, header in (('train', 'Training videos:'), ('val', 'Validataion videos:')):
        if name not in parts:
            raise PKUMMDFormatError(f'{path}: no "{header}" line (expected a training and a validation part)')
    return parts['train'], parts['val']


def find_split_files(split_dir: str) -> Dict[str, str]:
    """``{'xsub': .../cross-subject.txt, 'xview': .../cross-view.txt}`` of a folder; raises if one is missing."""
    found = {proto: osp.join(split_dir, fname) for proto, fname in SPLIT_FILES.items()}
    missing = [p for p in found.values() if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'missing official split file(s) {missing} (expected {sorted(SPLIT_FILES.values())} '
                                f'in {split_dir})')
    return found


def _video_files(folder: str) -> Tuple[Dict[str, str], List[str]]:
    """``{video id: path}`` of the ``<video>.txt`` files of a folder, and the other ``.txt`` files."""
    files, ignored = {}, []
    for fname in sorted(os.listdir(folder)):
        if not fname.endswith('.txt'):
            continue
        if _VIDEO_ID.match(fname[:-4]):
            files[fname[:-4]] = osp.join(folder, fname)
        else:
            ignored.append(osp.join(folder, fname))
    return files, ignored


def convert_pku_mmd(skeleton_dir: str,
                    label_dir: str,
                    split_files: Mapping[str, str],
                    frame_index_base: int = 0,
                    label_map: str = 'pku_mmd',
                    strict: bool = False,
                    log: Callable[[str], None] = print,
                    progress: Optional[Callable[[Sequence], Sequence]] = None) -> Dict:
    """Convert PKU-MMD into the trimmed-clip PoseDataset dict described in the module docstring.

    Args:
        skeleton_dir (str): Folder of the ``<video>.txt`` skeleton files.
        label_dir (str): Folder of the ``<video>.txt`` label files.
        split_files (Mapping[str, str]): Protocol name -> split file, e.g. ``find_split_files(split_dir)``
            (``{'xsub': 'cross-subject.txt', 'xview': 'cross-view.txt'}``); gives ``<name>_train`` /
            ``<name>_val`` splits.
        frame_index_base (int): 0 (default) or 1: how ``start_frame`` / ``end_frame`` count skeleton lines.
        label_map (str): Label map (shipped name or file) whose length bounds the labels.
        strict (bool): Raise :class:`PKUMMDFormatError` on a malformed skeleton or label file instead of
            excluding the video with a logged reason.
        log (callable): Receives one line per exclusion / clipping and a summary.
        progress (callable, optional): Wraps the list of videos (e.g. ``mmengine.track_iter_progress``).

    Returns:
        dict: ``dict(split=..., annotations=...)``.
    """
    if frame_index_base not in (0, 1):
        raise ValueError(f'frame_index_base must be 0 or 1, got {frame_index_base}')
    num_classes = len(load_label_map(label_map))
    protocols = {name: read_split_file(path) for name, path in split_files.items()}
    for folder, what in ((skeleton_dir, 'skeleton'), (label_dir, 'label')):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'PKU-MMD {what} folder {folder} does not exist')
    skeletons, ignored = _video_files(skeleton_dir)
    labels, ignored_labels = _video_files(label_dir)
    for path in ignored + ignored_labels:
        log(f'[pku_mmd] ignored {path}: name is not a video id like 0002-L.txt')
    if not labels:
        raise FileNotFoundError(f'no <video>.txt label files in {label_dir}; see README (PKU-MMD) for where to get '
                                'the dataset')
    no_label = sorted(set(skeletons) - set(labels))
    if no_label:
        log(f'[pku_mmd] {len(no_label)} skeleton files have no label file and give no clip: {no_label[:10]}')

    videos = sorted(labels)
    annotations: List[Dict] = []
    excluded: List[str] = []
    for video in (progress(videos) if progress else videos):
        if video not in skeletons:
            excluded.append(video)
            log(f'[pku_mmd] excluded video {video}: label file {labels[video]} has no skeleton file in '
                f'{skeleton_dir}')
            continue
        try:
            instances = read_label_file(labels[video], num_classes)
            skeleton = read_skeleton_file(skeletons[video])
        except PKUMMDFormatError as e:
            if strict:
                raise
            excluded.append(video)
            log(f'[pku_mmd] excluded video {video}: {e}')
            continue
        num_frames = skeleton.shape[0]
        for index, inst in enumerate(instances):
            frame_dir = f'{video}_{index}'
            first, last = inst.start - frame_index_base, inst.end - frame_index_base
            lo, hi = max(first, 0), min(last, num_frames - 1)
            where = f'{labels[video]}, line {inst.line}'
            if lo > hi:
                excluded.append(frame_dir)
                log(f'[pku_mmd] excluded {frame_dir}: frames {inst.start}-{inst.end} ({where}) are beyond the '
                    f'{num_frames} frames of {skeletons[video]}')
                continue
            if (lo, hi) != (first, last):
                log(f'[pku_mmd] {frame_dir}: frames {inst.start}-{inst.end} ({where}) reach beyond the '
                    f'{num_frames} frames of {skeletons[video]}; clipped to {lo + frame_index_base}-'
                    f'{hi + frame_index_base}')
            clip = skeleton[lo:hi + 1]
            persons = [p for p in range(NUM_PERSONS) if np.any(clip[:, p])]
            if not persons:
                excluded.append(frame_dir)
                log(f'[pku_mmd] excluded {frame_dir}: all joints are zero in frames {inst.start}-{inst.end} '
                    f'({where})')
                continue
            keypoint = np.ascontiguousarray(clip[:, persons].transpose(1, 0, 2, 3))
            annotations.append(
                dict(frame_dir=frame_dir, label=inst.label - 1, keypoint=keypoint, total_frames=int(keypoint.shape[1]),
                     video_id=video, view=video[-1], segment=(inst.start, inst.end), confidence=inst.confidence))

    converted_videos = {a['video_id'] for a in annotations}
    split: Dict[str, List[str]] = {}
    for name, (train, val) in protocols.items():
        train_set, val_set = set(train), set(val)
        split[f'{name}_train'] = [a['frame_dir'] for a in annotations if a['video_id'] in train_set]
        split[f'{name}_val'] = [a['frame_dir'] for a in annotations if a['video_id'] in val_set]
        unlisted = sorted(converted_videos - train_set - val_set)
        if unlisted:
            log(f'[pku_mmd] {len(unlisted)} converted videos are in neither part of {split_files[name]}, so in no '
                f'{name} split: {unlisted[:10]}')
        absent = sorted((train_set | val_set) - converted_videos)
        if absent:
            log(f'[pku_mmd] {len(absent)} videos of {split_files[name]} gave no clip (no files, excluded or no '
                f'usable instance): {absent[:10]}')
    log(f'[pku_mmd] {len(annotations)} action instances from {len(converted_videos)} videos converted, '
        f'{len(excluded)} excluded (videos or instances, logged above); '
        + ', '.join(f'{k} {len(v)}' for k, v in split.items()))
    return dict(split=split, annotations=annotations)
