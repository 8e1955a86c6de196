"""NTU RGB+D 60 / 120 raw ``.skeleton`` files -> an MMAction2 ``PoseDataset`` pickle (mmaction's ``ntu60_3d.pkl``).

Input: the Kinect v2 text files of the NTU release, one per sample, named ``SsssCcccPpppRrrrAaaa.skeleton``
(setup, camera, performer (= subject), replication, action, all 1-based); their format, the parser and the choice
of persons are :mod:`sugar_mm.datasets.converters.ntu_skeleton_file`. Only ``x y z`` (camera coordinates, metres)
go into the pickle.

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

Persons: the 2 of highest motion energy, by the rule of mmaction2's ``gen_ntu_rgbd_raw.py`` (``select_bodies``).

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
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from sugar_mm.datasets.converters.ntu_skeleton_file import (MAX_KINECT_BODIES, MAX_PERSONS, NTUBody, NTUFormatError,
                                                         NTUSkeletonSequence, is_sample_name, parse_sample_name,
                                                         read_skeleton_file, select_bodies)
from sugar_mm.datasets.label_maps import META_DIR
from sugar_mm.utils.io import atomic_pickle_dump

__all__ = ['NTUFormatError', 'NTUBody', 'NTUSkeletonSequence', 'parse_sample_name', 'read_skeleton_file',
           'select_bodies', 'load_missing_list', 'convert_ntu']

DATASETS = ('ntu60', 'ntu120')
#: Highest setup / action of each dataset.
DATASET_RANGE = {'ntu60': (17, 60), 'ntu120': (32, 120)}
MISSING_LISTS = {'ntu60': 'NTU_RGBD_samples_with_missing_skeletons.txt',
                 'ntu120': 'NTU_RGBD120_samples_with_missing_skeletons.txt'}
SPLITS_FILE = 'ntu_splits.json'
#: Bumped whenever the per-file result changes, so stale work folders are not reused.
CACHE_VERSION = 1




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
                if not is_sample_name(name):
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
