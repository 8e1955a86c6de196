"""NTU RGB+D 60 / 120 raw ``.skeleton`` files -> an MMAction2 ``PoseDataset`` pickle (mmaction's ``ntu60_3d.pkl``).

Raw format (the Kinect v2 text files of the NTU release, one per sample, named ``SsssCcccPpppRrrrAaaa.skeleton``:
setup, camera, performer (= subject), replication, action, all 1-based)::

    frameCount
    bodyCount                                   <- per frame (0 when Kinect tracked nobody)
    bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence handRightState
        isRestricted leanX leanY trackingState  <- per body: 10 values
    jointCount                                  <- 25
    x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState
                                                <- per joint: 12 values, 25 lines (Kinect v2 joint order)

``x y z`` are camera coordinates in metres; only they go into the pickle. Line endings may be ``\\r\\n``.

Output (the layout of mmaction2's ``ntu60_3d.pkl`` / ``ntu120_3d.pkl``; keypoints are float32 here where
mmaction's generator stores float16)::

    dict(split=dict(xsub_train=[...], xsub_val=[...], xview_train=[...], xview_val=[...]),   # ntu60
         # ntu120: xsub_train, xsub_val, xset_train, xset_val
         annotations=[dict(frame_dir='S001C001P001R001A001', label=0, keypoint=float32 (M, T, 25, 3),
                           total_frames=T, setup=1, camera=1, subject=1, replication=1), ...])

``label`` is ``action - 1``; ``M`` is 1 or 2; ``T`` is the file's frame count (frames without any body stay in,
as zeros). Official protocols (ids from ``meta/ntu_splits.json``, i.e. mmaction2's ``gen_ntu_rgbd_raw.py``):
NTU60 cross-subject (20 training subjects) and cross-view (training cameras 2, 3); NTU120 cross-subject
(53 training subjects) and cross-setup (even setups train). ``*_val`` is the test side, as in mmaction.

Body selection (the rule of mmaction2's ``gen_ntu_rgbd_raw.py``, ``read_xyz``):

1. The i-th body listed in a frame goes to slot i (at most 4 slots, Kinect's limit for NTU); body ids are not
   tracked across frames.
2. Each slot's energy is the sum over x, y, z of the standard deviation of its coordinates over all joints of
   the frames where it is non-zero (so it grows with both motion and body extent; 0 for an empty slot).
3. The 2 slots of highest energy are kept, in decreasing energy (exact ties: lower slot first; mmaction's
   ``argsort()[::-1]`` takes the higher one, which only matters between empty slots), then all-zero slots are
   dropped, so ``M`` is 1 for single-person samples.

Excluded samples are logged by name: samples of the official missing-skeleton list (``meta/NTU_RGBD*_samples_
with_missing_skeletons.txt``, not read at all), files whose every frame has no body, and (unless ``strict``)
unreadable files, with the reason naming the file and line. For ``ntu60`` only setups 1-17 and actions 1-60
are taken, so a folder holding NTU120 can be converted to NTU60 (the files outside are counted in the log).

Resumability: with ``work_dir``, files are converted in chunks whose results are pickled there
(``chunk_00000.pkl``, ...); a chunk is reused on the next run when its files (names, sizes, modification times)
and the conversion settings are unchanged, so an interrupted conversion continues where it stopped.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import pickle
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from sugar_mm.datasets.label_maps import META_DIR
from sugar_mm.utils.io import atomic_pickle_dump

__all__ = ['NTUFormatError', 'NTUBody', 'NTUSkeletonSequence', 'parse_sample_name', 'read_skeleton_file',
           'select_bodies', 'load_missing_list', 'convert_ntu']

NUM_JOINTS = 25
#: Kinect slots read per frame (mmaction's ``max_body_kinect``).
MAX_KINECT_BODIES = 4
#: Persons kept per sample (mmaction's ``max_body_true``).
MAX_PERSONS = 2
BODY_INFO_FIELDS = ('bodyID', 'clippedEdges', 'handLeftConfidence', 'handLeftState', 'handRightConfidence',
                    'handRightState', 'isRestricted', 'leanX', 'leanY', 'trackingState')
JOINT_FIELDS = ('x', 'y', 'z', 'depthX', 'depthY', 'colorX', 'colorY', 'orientationW', 'orientationX',
                'orientationY', 'orientationZ', 'trackingState')
DATASETS = ('ntu60', 'ntu120')
#: Highest setup / action of each dataset.
DATASET_RANGE = {'ntu60': (17, 60), 'ntu120': (32, 120)}
MISSING_LISTS = {'ntu60': 'NTU_RGBD_samples_with_missing_skeletons.txt',
                 'ntu120': 'NTU_RGBD120_samples_with_missing_skeletons.txt'}
SPLITS_FILE = 'ntu_splits.json'
#: Bumped whenever the per-file result changes, so stale work folders are not reused.
CACHE_VERSION = 1
_NAME = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')


class NTUFormatError(ValueError):
    """A raw NTU file does not follow the format; the message names the file and line."""


@dataclass
class NTUBody:
    """One body of one frame.

    Attributes:
        body_id (str): Kinect tracking id (kept as text: it exceeds float precision).
        info (np.ndarray): float64 (9,), the body-info values after ``bodyID`` (see ``BODY_INFO_FIELDS``).
        joints (np.ndarray): float64 (25, 12), one row per joint (see ``JOINT_FIELDS``).
    """

    body_id: str
    info: np.ndarray
    joints: np.ndarray


@dataclass
class NTUSkeletonSequence:
    """A parsed ``.skeleton`` file: ``frames[t]`` lists the bodies of frame ``t`` (possibly none)."""

    path: str
    frames: List[List[NTUBody]] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return len(self.frames)


def parse_sample_name(name: str) -> Dict[str, int]:
    """``'S001C002P003R001A060'`` (or a path / ``.skeleton`` file name) -> its five 1-based fields.

    Raises:
        NTUFormatError: when the name is not ``SsssCcccPpppRrrrAaaa``.
    """
    stem = osp.basename(name)
    if stem.endswith('.skeleton'):
        stem = stem[:-len('.skeleton')]
    m = _NAME.match(stem)
    if m is None:
        raise NTUFormatError(f'{name}: name does not match SsssCcccPpppRrrrAaaa(.skeleton)')
    s, c, p, r, a = (int(g) for g in m.groups())
    return dict(setup=s, camera=c, subject=p, replication=r, action=a)


def read_skeleton_file(path: str) -> NTUSkeletonSequence:
    """Parse one ``.skeleton`` file (format in the module docstring).

    Blank lines are only allowed after the last frame.

    Raises:
        NTUFormatError: naming the file and the first bad line (wrong count, wrong number of values, not a
            number, non-finite coordinates, truncated file, unexpected content after the last frame).
    """
    with open(path, encoding='ascii', errors='replace') as f:
        lines = f.read().splitlines()
    n = len(lines)
    pos = 0  # index of the next line to read; its 1-based line number is pos + 1

    def fail(lineno: int, msg: str) -> NTUFormatError:
        return NTUFormatError(f'{path}, line {lineno}: {msg}')

    def take(what: str) -> Tuple[int, str]:
        nonlocal pos
        if pos >= n:
            raise fail(n + 1, f'unexpected end of file, expected {what} (the file is truncated)')
        pos += 1
        return pos, lines[pos - 1]

    def take_count(what: str) -> int:
        lineno, text = take(what)
        try:
            value = int(text.strip())
        except ValueError:
            raise fail(lineno, f'expected {what} (one integer), got {text.strip()[:60]!r}') from None
        if value < 0:
            raise fail(lineno, f'{what} is negative ({value})')
        return value

    seq = NTUSkeletonSequence(path=path)
    num_frames = take_count('the frame count')
    for t in range(num_frames):
        num_bodies = take_count(f'the body count of frame {t + 1}')
        bodies = []
        for b in range(num_bodies):
            lineno, text = take(f'the body-info line of body {b + 1} in frame {t + 1}')
            parts = text.split()
            if len(parts) != len(BODY_INFO_FIELDS):
                raise fail(lineno, f'expected the {len(BODY_INFO_FIELDS)} body-info values '
                           f'({" ".join(BODY_INFO_FIELDS)}) of body {b + 1} in frame {t + 1}, got {len(parts)}: '
                           f'{text.strip()[:60]!r}')
            try:
                info = np.array(parts[1:], dtype=np.float64)
            except ValueError:
                raise fail(lineno, f'not a number in the body-info line {text.strip()[:60]!r}') from None
            num_joints = take_count(f'the joint count of body {b + 1} in frame {t + 1}')
            if num_joints != NUM_JOINTS:
                raise fail(pos, f'expected {NUM_JOINTS} joints (Kinect v2), got {num_joints}')
            block = lines[pos:pos + NUM_JOINTS]
            if len(block) < NUM_JOINTS:
                raise fail(n + 1, f'unexpected end of file inside the joints of body {b + 1} in frame {t + 1} '
                           f'(the file is truncated)')
            joints = _parse_joint_block(block, pos, fail)
            if not np.isfinite(joints[:, :3]).all():
                bad = int(np.nonzero(~np.isfinite(joints[:, :3]).all(axis=1))[0][0])
                raise fail(pos + bad + 1, 'non-finite joint coordinate (nan or inf)')
            pos += NUM_JOINTS
            bodies.append(NTUBody(body_id=parts[0], info=info, joints=joints))
        seq.frames.append(bodies)
    for k in range(pos, n):
        if lines[k].strip():
            raise fail(k + 1, f'unexpected content after the last of the {num_frames} frames declared on line 1: '
                       f'{lines[k].strip()[:60]!r}')
    return seq


def _parse_joint_block(block: Sequence[str], first: int, fail: Callable[[int, str], NTUFormatError]) -> np.ndarray:
    """25 joint lines -> float64 (25, 12); ``first`` is the 0-based index of the block's first line."""
    try:
        arr = np.array([line.split() for line in block], dtype=np.float64)
        if arr.shape == (NUM_JOINTS, len(JOINT_FIELDS)):
            return arr
    except ValueError:
        pass
    for k, line in enumerate(block):  # slow path: find the bad line
        parts = line.split()
        if len(parts) != len(JOINT_FIELDS):
            raise fail(first + k + 1, f'expected {len(JOINT_FIELDS)} joint values ({" ".join(JOINT_FIELDS)}), '
                       f'got {len(parts)}: {line.strip()[:60]!r}')
        try:
            [float(p) for p in parts]
        except ValueError:
            raise fail(first + k + 1, f'not a number in the joint line {line.strip()[:60]!r}') from None
    raise fail(first + 1, 'malformed joint block')  # pragma: no cover - one of the lines must be bad


def _motion_energy(body: np.ndarray) -> float:
    """Sum over x, y, z of the std of a slot's (T, 25, 3) coordinates over its non-zero frames and all joints."""
    present = np.any(body != 0, axis=(1, 2))
    if not present.any():
        return 0.0
    return float(body[present].reshape(-1, 3).std(axis=0).sum())


def select_bodies(seq: NTUSkeletonSequence,
                  max_bodies: int = MAX_KINECT_BODIES,
                  max_persons: int = MAX_PERSONS) -> np.ndarray:
    """The persons of a sequence as float32 ``(M, T, 25, 3)`` (rule in the module docstring).

    Args:
        seq (NTUSkeletonSequence): A parsed file.
        max_bodies (int): Slots read per frame; bodies beyond are ignored.
        max_persons (int): Slots kept, by decreasing energy.

    Returns:
        np.ndarray: ``M <= max_persons``; ``M == 0`` when no frame has a body.
    """
    slots = np.zeros((max_bodies, seq.num_frames, NUM_JOINTS, 3), dtype=np.float64)
    for t, bodies in enumerate(seq.frames):
        for m, body in enumerate(bodies[:max_bodies]):
            slots[m, t] = body.joints[:, :3]
    energy = [_motion_energy(s) for s in slots]
    order = sorted(range(max_bodies), key=lambda m: (-energy[m], m))[:max_persons]
    kept = [m for m in order if np.any(slots[m])]
    return slots[kept].astype(np.float32)


def load_missing_list(dataset_or_path: Union[str, Iterable[str]]) -> set:
    """Sample names of a missing-skeleton list: ``'ntu60'`` / ``'ntu120'`` (shipped lists), a file, or names."""
    if isinstance(dataset_or_path, str):
        path = osp.join(META_DIR, MISSING_LISTS[dataset_or_path]) if dataset_or_path in MISSING_LISTS \
            else dataset_or_path
        with open(path, encoding='utf-8') as f:
            names = [line.strip() for line in f]
    else:
        names = [str(n).strip() for n in dataset_or_path]
    return {n[:-len('.skeleton')] if n.endswith('.skeleton') else n for n in names if n}


def load_protocols() -> Dict:
    """The official protocol ids shipped in ``meta/ntu_splits.json``."""
    with open(osp.join(META_DIR, SPLITS_FILE), encoding='utf-8') as f:
        return json.load(f)


def _find_files(raw_dirs: Sequence[str]) -> Tuple[Dict[str, str], List[str]]:
    """``{sample name: path}`` of every ``*.skeleton`` under ``raw_dirs`` (recursive) and the misnamed ones."""
    found: Dict[str, str] = {}
    misnamed: List[str] = []
    for raw_dir in raw_dirs:
        if not osp.isdir(raw_dir):
            raise FileNotFoundError(f'NTU raw folder {raw_dir} does not exist')
        for root, dirs, files in os.walk(raw_dir):
            dirs.sort()
            for fname in sorted(files):
                if not fname.endswith('.skeleton'):
                    continue
                path = osp.join(root, fname)
                name = fname[:-len('.skeleton')]
                if _NAME.match(name) is None:
                    misnamed.append(path)
                    continue
                if name in found:
                    raise ValueError(f'sample {name} is present twice: {found[name]} and {path}')
                found[name] = path
    return found, misnamed


def _convert_file(name: str, path: str, max_bodies: int, max_persons: int,
                  strict: bool) -> Tuple[Optional[Dict], Optional[Tuple[str, str]]]:
    """One file -> (annotation, None) or (None, (kind, reason)) for an excluded sample."""
    info = parse_sample_name(name)
    try:
        seq = read_skeleton_file(path)
    except NTUFormatError as e:
        if strict:
            raise
        return None, ('unreadable', str(e))
    if seq.num_frames == 0:
        return None, ('empty', f'{path} declares 0 frames')
    keypoint = select_bodies(seq, max_bodies, max_persons)
    if keypoint.shape[0] == 0:
        return None, ('empty', f'no body in any of the {seq.num_frames} frames of {path}')
    ann = dict(frame_dir=name, label=info['action'] - 1, keypoint=keypoint, total_frames=int(keypoint.shape[1]),
               setup=info['setup'], camera=info['camera'], subject=info['subject'],
               replication=info['replication'])
    return ann, None


def _chunk_key(names: Sequence[str], paths: Sequence[str], params: Dict) -> Dict:
    """What a cached chunk must match to be reused: settings and each file's name, size and mtime."""
    stats = []
    for name, path in zip(names, paths):
        st = os.stat(path)
        stats.append((name, int(st.st_size), int(st.st_mtime_ns)))
    return dict(params=params, files=stats)


def _iter_chunk(names: Sequence[str], paths: Sequence[str], key: Dict, chunk_path: Optional[str],
                max_bodies: int, max_persons: int, strict: bool, out: Dict) -> Iterator[None]:
    """Convert a chunk, yielding after each file; the result goes into ``out`` (and ``chunk_path``, atomically)."""
    annotations, excluded = [], []
    for name, path in zip(names, paths):
        ann, why = _convert_file(name, path, max_bodies, max_persons, strict)
        if ann is not None:
            annotations.append(ann)
        else:
            excluded.append((name, why[0], why[1]))
        yield None
    out.update(key=key, annotations=annotations, excluded=excluded)
    if chunk_path is not None:
        atomic_pickle_dump(out, chunk_path)


def _process_chunk(names: Sequence[str], paths: Sequence[str], key: Dict, chunk_path: Optional[str],
                   max_bodies: int, max_persons: int, strict: bool) -> Dict:
    """Worker entry point: convert a whole chunk and return its result."""
    out: Dict = {}
    for _ in _iter_chunk(names, paths, key, chunk_path, max_bodies, max_persons, strict, out):
        pass
    return out


def _load_chunk(chunk_path: str, key: Dict) -> Optional[Dict]:
    if not osp.isfile(chunk_path):
        return None
    try:
        with open(chunk_path, 'rb') as f:
            result = pickle.load(f)
    except Exception:  # a damaged cache file is recomputed, never trusted
        return None
    if not isinstance(result, dict) or result.get('key') != key:
        return None
    return result


def convert_ntu(raw_dir: Union[str, Sequence[str]],
                dataset: str = 'ntu60',
                work_dir: Optional[str] = None,
                workers: int = 0,
                missing: Optional[Union[str, Iterable[str]]] = None,
                strict: bool = False,
                chunk_size: int = 500,
                max_bodies: int = MAX_KINECT_BODIES,
                max_persons: int = MAX_PERSONS,
                log: Callable[[str], None] = print,
                progress: Optional[Callable[[Iterable, int], Iterable]] = None) -> Dict:
    """Convert raw NTU skeletons into the PoseDataset dict described in the module docstring.

    Args:
        raw_dir (str | Sequence[str]): Folder(s) searched recursively for ``*.skeleton`` (e.g. the two
            folders of ``nturgbd_skeletons_s001_to_s017.zip`` and ``..._s018_to_s032.zip``).
        dataset (str): ``'ntu60'`` or ``'ntu120'``.
        work_dir (str, optional): Folder for the per-chunk results that make the conversion resumable; None
            converts in memory only.
        workers (int): Worker processes (0 or 1: convert in this process).
        missing (str | Iterable[str], optional): Missing-skeleton list (a file or names); default the
            official list of ``dataset`` shipped in ``meta/``.
        strict (bool): Raise :class:`NTUFormatError` on an unreadable file instead of excluding it.
        chunk_size (int): Files per cached chunk.
        max_bodies (int): Kinect slots read per frame.
        max_persons (int): Persons kept per sample.
        log (callable): Receives one line per excluded sample and a summary.
        progress (callable, optional): ``progress(iterable, total)`` wraps an iterator that yields once per
            file converted (e.g. ``lambda it, n: mmengine.track_iter_progress((it, n))``).

    Returns:
        dict: ``dict(split=..., annotations=...)``.
    """
    if dataset not in DATASETS:
        raise ValueError(f'dataset must be one of {DATASETS}, got {dataset!r}')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    raw_dirs = [raw_dir] if isinstance(raw_dir, str) else list(raw_dir)
    tag = f'[{dataset}]'
    found, misnamed = _find_files(raw_dirs)
    for path in misnamed:
        log(f'{tag} ignored {path}: name does not match SsssCcccPpppRrrrAaaa.skeleton')
    max_setup, max_action = DATASET_RANGE[dataset]
    outside = set()
    for n in found:
        info = parse_sample_name(n)
        if info['setup'] > max_setup or info['action'] > max_action:
            outside.add(n)
    if outside:
        log(f'{tag} {len(outside)} files outside {dataset} (setup > {max_setup} or action > {max_action}) '
            'are not part of this dataset and were not read')
    missing_set = load_missing_list(dataset if missing is None else missing)
    names = sorted(n for n in found if n not in outside)
    skipped_missing = [n for n in names if n in missing_set]
    names = [n for n in names if n not in missing_set]
    if not names:
        raise FileNotFoundError(f'no {dataset} .skeleton files found in {raw_dirs}; see README (NTU RGB+D) for '
                                'where to get the dataset')

    params = dict(version=CACHE_VERSION, dataset=dataset, max_bodies=max_bodies, max_persons=max_persons)
    chunks = [names[i:i + chunk_size] for i in range(0, len(names), chunk_size)]
    if work_dir is not None:
        os.makedirs(work_dir, exist_ok=True)
    results: Dict[int, Dict] = {}
    todo: List[Tuple[int, List[str], List[str], Dict, Optional[str]]] = []
    for index, chunk in enumerate(chunks):
        paths = [found[n] for n in chunk]
        key = _chunk_key(chunk, paths, params)
        chunk_path = osp.join(work_dir, f'chunk_{index:05d}.pkl') if work_dir is not None else None
        cached = _load_chunk(chunk_path, key) if chunk_path is not None else None
        if cached is not None:
            results[index] = cached
        else:
            todo.append((index, chunk, paths, key, chunk_path))
    num_cached = sum(len(chunks[i]) for i in results)
    if num_cached:
        log(f'{tag} resuming: {num_cached} of {len(names)} files already converted in {work_dir}')

    def run() -> Iterator[None]:
        for i in results:
            for _ in chunks[i]:
                yield None
        if workers <= 1:
            for index, chunk, paths, key, chunk_path in todo:
                out: Dict = {}
                yield from _iter_chunk(chunk, paths, key, chunk_path, max_bodies, max_persons, strict, out)
                results[index] = out
            return
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            futures = {
                pool.submit(_process_chunk, chunk, paths, key, chunk_path, max_bodies, max_persons, strict): index
                for index, chunk, paths, key, chunk_path in todo
            }
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                for _ in chunks[index]:
                    yield None
        except BaseException:
            # on an error or Ctrl-C do not wait for the queued chunks; finished ones are already saved
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()

    stream = run()
    for _ in (progress(stream, len(names)) if progress else stream):
        pass

    for name in skipped_missing:
        log(f'{tag} skipped {name}: in the missing-skeleton list')
    annotations: List[Dict] = []
    excluded: List[Tuple[str, str, str]] = []
    for index in range(len(chunks)):
        annotations.extend(results[index]['annotations'])
        excluded.extend(results[index]['excluded'])
    for name, kind, reason in excluded:
        if strict and kind == 'unreadable':  # a cached exclusion from a non-strict run
            raise NTUFormatError(reason)
        log(f'{tag} excluded {name}: {reason}')

    protocols = load_protocols()
    if dataset == 'ntu60':
        xsub = set(protocols['ntu60_xsub_train_subjects'])
        other_name, other_field = 'xview', 'camera'
        other = set(protocols['ntu60_xview_train_cameras'])
    else:
        xsub = set(protocols['ntu120_xsub_train_subjects'])
        other_name, other_field = 'xset', 'setup'
        other = set(protocols['ntu120_xset_train_setups'])
    split = {
        'xsub_train': [a['frame_dir'] for a in annotations if a['subject'] in xsub],
        'xsub_val': [a['frame_dir'] for a in annotations if a['subject'] not in xsub],
        f'{other_name}_train': [a['frame_dir'] for a in annotations if a[other_field] in other],
        f'{other_name}_val': [a['frame_dir'] for a in annotations if a[other_field] not in other],
    }
    unreadable = sum(1 for e in excluded if e[1] == 'unreadable')
    log(f'{tag} {len(annotations)} samples converted; excluded: {len(skipped_missing)} in the missing-skeleton '
        f'list, {len(excluded) - unreadable} without any body, {unreadable} unreadable; '
        + ', '.join(f'{k} {len(v)}' for k, v in split.items()))
    return dict(split=split, annotations=annotations)
