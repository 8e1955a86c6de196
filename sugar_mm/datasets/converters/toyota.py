"""Toyota Smarthome (trimmed) LCR-Net++ pose JSON -> an MMAction2 ``PoseDataset`` pickle.

Raw format (one JSON file per clip, see ``toyota_meta/SOURCE.md``; file ``<clip>.json`` in the v1.1 release,
``<clip>_pose3d.json`` in v1.2, ``<clip>`` = ``Activity_pXX_rYY_vZZ_cCC``: activity, subject, recording, video,
camera)::

    {"njts": 13, "K": ..., "frames": [                 # one entry per video frame
        [                                              # the persons detected in that frame (may be empty)
            {"pose2d": [x0..x12, y0..y12],             # 26 numbers, pixels, coordinate-major
             "pose3d": [x0..x12, y0..y12, z0..z12],    # 39 numbers, metres, coordinate-major
             "cumscore": 12.3},                        # detection score (v1.1; absent from v1.2 files)
            ...],
        ...]}

Coordinate-major order (all x, then all y, then all z) is how LCR-Net's own ``display_poses`` indexes joint ``i``
(``pose2d[i], pose2d[i + njts]``), also used by the dataset authors' ``json_to_npz.py`` (dairui01/
Toyota_Smarthome). Joint order (LCR-Net 13 joints, same sources): right ankle, left ankle, right knee, left knee,
right hip, left hip, right wrist, left wrist, right elbow, left elbow, right shoulder, left shoulder, head, which
is the order of ``layouts.TOYOTA_13``.

Output (the layout of mmaction's ``ntu60_3d.pkl``)::

    dict(split=dict(xsub_train=[...], xsub_val=[...], xview1_train=[...], xview1_val=[...],
                    xview2_train=[...], xview2_val=[...]),
         annotations=[dict(frame_dir='Cook.Cut_p03_r00_v02_c03', label=2, keypoint=float32 (1, T, 13, C),
                           total_frames=T, activity='Cook.Cut', subject=3, camera=3,
                           detected=bool (T,)), ...])

``C`` is 3 (``coords='3d'``, default) or 2 (``'2d'``: then also ``keypoint_score`` float32 (1, T, 13), 1 where a
person was detected, 0 elsewhere, and ``img_shape`` / ``original_shape`` (480, 640), the clips' frame size).
One person per clip: in a frame with several detections the highest ``cumscore`` one is kept (files without
scores: the first one); a frame without any detection is all zeros (``detected`` False).

Labels: ``label`` is the index of the file name's activity **name** in the 31-class label map
(``meta/label_map_toyota.txt``), never a position in some other list.

Splits (configurable):

* ``xsub``: training subjects 3, 4, 6, 7, 9, 12, 13, 15, 17, 19, 25, all other subjects test; 31 classes.
* ``xview1``: train camera 1, test camera 2; ``xview2``: train cameras 1, 3, 4, 6, 7, test camera 2. Only the 19
  cross-view classes (:data:`XVIEW_CLASSES`) are in these splits; camera 5 (the protocols' validation camera) is
  in no split. Labels stay the 31-class ones: to train / evaluate a 19-way cross-view model, restrict and remap
  with ``SkeletonDataset(classes='toyota', class_subset=XVIEW_CLASSES)``, which maps class
  ``XVIEW_CLASSES[i]`` to label ``i``.

Excluded clips (logged by name): no detection in any frame, activity not in the label map, unreadable file
(unless ``strict``; the message names the file and the JSON line or the frame / detection).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from sugar_mm.datasets.label_maps import load_label_map

__all__ = ['ToyotaFormatError', 'XVIEW_CLASSES', 'XSUB_TRAIN_SUBJECTS', 'XVIEW_CAMERAS', 'LCRNET_JOINTS',
           'parse_clip_name', 'read_pose_file', 'convert_toyota']

NUM_JOINTS = 13
#: LCR-Net 13-joint order (index = position in the pose vectors).
LCRNET_JOINTS = ('right_ankle', 'left_ankle', 'right_knee', 'left_knee', 'right_hip', 'left_hip', 'right_wrist',
                 'left_wrist', 'right_elbow', 'left_elbow', 'right_shoulder', 'left_shoulder', 'head')
#: Frame size of the trimmed clips (height, width), recorded for 2D keypoints.
IMG_SHAPE = (480, 640)
XSUB_TRAIN_SUBJECTS = (3, 4, 6, 7, 9, 12, 13, 15, 17, 19, 25)
#: The 19 classes of the cross-view protocols (label ``i`` of a cross-view class subset is ``XVIEW_CLASSES[i]``).
#: The 19 cross-view classes (the shipped label map ``'toyota_xview'``).
XVIEW_CLASSES = tuple(load_label_map('toyota_xview'))
#: Cross-view protocols: name -> (training cameras, test cameras).
XVIEW_CAMERAS: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
    'xview1': ((1, ), (2, )),
    'xview2': ((1, 3, 4, 6, 7), (2, )),
}
SCORE_KEYS = ('cumscore', 'score')
COORDS = {'3d': ('pose3d', 3), '2d': ('pose2d', 2)}
_CLIP = re.compile(r'^(?P<activity>[A-Za-z][A-Za-z.]*)_p(?P<subject>\d+)_r(?P<recording>\d+)_v?(?P<video>\d+)'
                   r'_c(?P<camera>\d+)(?:_(?P<tag>[A-Za-z0-9+.]+))?$')


class ToyotaFormatError(ValueError):
    """A Toyota Smarthome pose file does not follow the format; the message names the file and where."""


def parse_clip_name(filename: str) -> Dict:
    """``'Cook.Cut_p03_r00_v02_c03_pose3d.json'`` -> clip name, activity and the numeric fields.

    Raises:
        ToyotaFormatError: when the name is not ``Activity_pXX_rYY_vZZ_cCC[_tag].json``.
    """
    stem = osp.basename(filename)
    if stem.endswith('.json'):
        stem = stem[:-len('.json')]
    m = _CLIP.match(stem)
    if m is None:
        raise ToyotaFormatError(f'{filename}: name does not match Activity_pXX_rYY_vZZ_cCC(_pose3d).json')
    clip = stem[:m.start('tag') - 1] if m.group('tag') else stem
    return dict(clip=clip, activity=m.group('activity'), subject=int(m.group('subject')),
                recording=int(m.group('recording')), video=int(m.group('video')), camera=int(m.group('camera')))


def _score(det: Dict) -> Optional[float]:
    for key in SCORE_KEYS:
        value = det.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def read_pose_file(path: str, coords: str = '3d') -> Tuple[np.ndarray, np.ndarray, int]:
    """Read one clip's pose file, keeping one person per frame.

    Args:
        path (str): The JSON file.
        coords (str): ``'3d'`` (``pose3d``) or ``'2d'`` (``pose2d``).

    Returns:
        tuple: float32 ``(T, 13, C)`` keypoints (zeros where nobody was detected), bool ``(T,)`` detected mask,
        and the number of frames with several detections but no score (the first detection was kept).

    Raises:
        ToyotaFormatError: invalid JSON (with its line), no ``frames`` list, ``njts`` not 13, a frame that is
            not a list of detections, a pose of the wrong length, not numbers or non-finite (naming frame and
            detection, 0-based).
    """
    if coords not in COORDS:
        raise ValueError(f'coords must be one of {sorted(COORDS)}, got {coords!r}')
    key, dim = COORDS[coords]
    try:
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
    except json.JSONDecodeError as e:
        raise ToyotaFormatError(f'{path}, line {e.lineno}: invalid JSON ({e.msg})') from None
    except UnicodeDecodeError as e:
        raise ToyotaFormatError(f'{path}: not UTF-8 text ({e})') from None
    if not isinstance(doc, dict) or not isinstance(doc.get('frames'), list):
        got = f'an object with keys {sorted(doc)[:8]}' if isinstance(doc, dict) else f'a JSON {type(doc).__name__}'
        raise ToyotaFormatError(f'{path}: expected an object with a "frames" list (LCR-Net pose file), got {got}')
    njts = doc.get('njts', NUM_JOINTS)
    if njts != NUM_JOINTS:
        raise ToyotaFormatError(f'{path}: njts is {njts!r}, expected {NUM_JOINTS} (LCR-Net 13-joint poses)')
    frames = doc['frames']
    keypoint = np.zeros((len(frames), NUM_JOINTS, dim), dtype=np.float32)
    detected = np.zeros(len(frames), dtype=bool)
    unscored = 0
    for t, dets in enumerate(frames):
        if not isinstance(dets, list):
            raise ToyotaFormatError(f'{path}: frame {t} is a {type(dets).__name__}, expected a list of detections')
        if not dets:
            continue
        for d, det in enumerate(dets):
            if not isinstance(det, dict) or key not in det:
                raise ToyotaFormatError(f'{path}: frame {t}, detection {d} has no "{key}" '
                                        f'(keys: {sorted(det)[:6] if isinstance(det, dict) else type(det).__name__})')
        scores = [_score(det) for det in dets]
        if len(dets) > 1 and any(s is None for s in scores):
            best = 0
            unscored += 1
        else:
            best = int(np.argmax([s if s is not None else -np.inf for s in scores]))
        values = dets[best][key]
        where = f'{path}: frame {t}, detection {best}'
        if not isinstance(values, list) or len(values) != NUM_JOINTS * dim:
            n = len(values) if isinstance(values, list) else type(values).__name__
            raise ToyotaFormatError(f'{where}: "{key}" has {n} values, expected {NUM_JOINTS * dim} '
                                    f'({NUM_JOINTS} joints x {dim}, coordinate-major)')
        try:
            arr = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise ToyotaFormatError(f'{where}: "{key}" holds values that are not numbers') from None
        if not np.isfinite(arr).all():
            raise ToyotaFormatError(f'{where}: "{key}" has a non-finite value (nan or inf)')
        keypoint[t] = arr.reshape(dim, NUM_JOINTS).T
        detected[t] = True
    return keypoint, detected, unscored


def _find_files(pose_dir: str) -> Tuple[Dict[str, Tuple[str, Dict]], List[str]]:
    if not osp.isdir(pose_dir):
        raise FileNotFoundError(f'Toyota Smarthome pose folder {pose_dir} does not exist')
    found: Dict[str, Tuple[str, Dict]] = {}
    misnamed: List[str] = []
    for root, dirs, files in os.walk(pose_dir):
        dirs.sort()
        for fname in sorted(files):
            if not fname.endswith('.json'):
                continue
            path = osp.join(root, fname)
            try:
                info = parse_clip_name(fname)
            except ToyotaFormatError:
                misnamed.append(path)
                continue
            if info['clip'] in found:
                raise ValueError(f'clip {info["clip"]} has two pose files: {found[info["clip"]][0]} and {path}')
            found[info['clip']] = (path, info)
    return found, misnamed


def convert_toyota(pose_dir: str,
                   coords: str = '3d',
                   label_map: str = 'toyota',
                   xsub_train_subjects: Sequence[int] = XSUB_TRAIN_SUBJECTS,
                   xview_cameras: Mapping[str, Tuple[Sequence[int], Sequence[int]]] = XVIEW_CAMERAS,
                   xview_classes: Sequence[str] = XVIEW_CLASSES,
                   strict: bool = False,
                   log: Callable[[str], None] = print,
                   progress: Optional[Callable[[Sequence], Sequence]] = None) -> Dict:
    """Convert the pose files into the PoseDataset dict described in the module docstring.

    Args:
        pose_dir (str): Folder searched recursively for the clips' ``.json`` pose files.
        coords (str): ``'3d'`` (default) or ``'2d'`` keypoints.
        label_map (str): Label map (shipped name or file); labels are looked up by activity name.
        xsub_train_subjects (Sequence[int]): Cross-subject training subjects; all others are test.
        xview_cameras (Mapping): Cross-view protocol name -> (training cameras, test cameras).
        xview_classes (Sequence[str]): Classes of the cross-view splits (names of the label map).
        strict (bool): Raise :class:`ToyotaFormatError` on an unreadable file instead of excluding the clip.
        log (callable): Receives one line per excluded clip and a summary.
        progress (callable, optional): Wraps the list of files (e.g. ``mmengine.track_iter_progress``).

    Returns:
        dict: ``dict(split=..., annotations=...)``.
    """
    if coords not in COORDS:
        raise ValueError(f'coords must be one of {sorted(COORDS)}, got {coords!r}')
    classes = load_label_map(label_map)
    label_of = {name: i for i, name in enumerate(classes)}
    unknown = [c for c in xview_classes if c not in label_of]
    if unknown:
        raise ValueError(f'cross-view classes {unknown} are not in the label map {label_map!r}')
    found, misnamed = _find_files(pose_dir)
    for path in misnamed:
        log(f'[toyota] ignored {path}: name does not match Activity_pXX_rYY_vZZ_cCC(_pose3d).json')
    if not found:
        raise FileNotFoundError(f'no Toyota Smarthome pose files (*.json) in {pose_dir}; see README (Toyota '
                                'Smarthome) for where to get the dataset')

    clips = sorted(found)
    annotations: List[Dict] = []
    excluded: List[str] = []
    unscored_clips: List[str] = []
    for clip in (progress(clips) if progress else clips):
        path, info = found[clip]
        if info['activity'] not in label_of:
            excluded.append(clip)
            log(f'[toyota] excluded {clip}: activity {info["activity"]!r} is not in the label map {label_map!r}')
            continue
        try:
            keypoint, detected, unscored = read_pose_file(path, coords)
        except ToyotaFormatError as e:
            if strict:
                raise
            excluded.append(clip)
            log(f'[toyota] excluded {clip}: {e}')
            continue
        if not detected.any():
            excluded.append(clip)
            log(f'[toyota] excluded {clip}: no person detected in any of its {len(detected)} frames ({path})')
            continue
        if unscored:
            unscored_clips.append(clip)
        ann = dict(frame_dir=clip, label=label_of[info['activity']], keypoint=keypoint[None],
                   total_frames=int(keypoint.shape[0]), activity=info['activity'], subject=info['subject'],
                   camera=info['camera'], detected=detected)
        if coords == '2d':
            ann['keypoint_score'] = np.repeat(detected.astype(np.float32)[None, :, None], NUM_JOINTS, axis=2)
            ann['img_shape'] = IMG_SHAPE
            ann['original_shape'] = IMG_SHAPE
        annotations.append(ann)
    if unscored_clips:
        log(f'[toyota] {len(unscored_clips)} clips have frames with several persons and no detection score; the '
            f'first detection was kept there: {unscored_clips[:10]}')

    train_subjects = set(xsub_train_subjects)
    split = {
        'xsub_train': [a['frame_dir'] for a in annotations if a['subject'] in train_subjects],
        'xsub_val': [a['frame_dir'] for a in annotations if a['subject'] not in train_subjects],
    }
    cv_classes = set(xview_classes)
    for name, (train_cams, val_cams) in xview_cameras.items():
        if set(train_cams) & set(val_cams):
            raise ValueError(f'{name}: cameras {sorted(set(train_cams) & set(val_cams))} are both train and test')
        cv = [a for a in annotations if a['activity'] in cv_classes]
        split[f'{name}_train'] = [a['frame_dir'] for a in cv if a['camera'] in set(train_cams)]
        split[f'{name}_val'] = [a['frame_dir'] for a in cv if a['camera'] in set(val_cams)]
    log(f'[toyota] {len(annotations)} clips converted ({coords}), {len(excluded)} excluded; '
        + ', '.join(f'{k} {len(v)}' for k, v in split.items()))
    return dict(split=split, annotations=annotations)
