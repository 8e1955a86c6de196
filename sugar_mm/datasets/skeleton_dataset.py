"""``SkeletonDataset``: mmaction's ``PoseDataset`` with validated input, class names and class subsets."""
from __future__ import annotations

import logging
import os.path as osp
import pickle
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmaction.datasets import PoseDataset
from mmengine.logging import MMLogger, print_log
from mmengine.logging.logger import FilterDuplicateWarning

from sugar_mm.registry import DATASETS
from sugar_mm.utils.safe_pickle import UnsafePickleError, load_pickle
from .class_subsets import resolve_class_subset
from .label_files import check_class_names
from .label_maps import load_label_map

REQUIRED_KEYS = ('frame_dir', 'label', 'keypoint', 'total_frames')


class SkeletonDataError(ValueError):
    """The annotation file (or one of its samples) is not what the config expects."""


#: How a config turns on full unpickling of its annotation file (for the refusal message).
TRUST_PICKLE_OPT_IN = ('trust_pickle=True in the dataset\'s config (e.g. --cfg-options '
                       'test_dataloader.dataset.trust_pickle=True)')


def load_annotation_file(ann_file: str, trust_pickle: bool = False, opt_in: str = TRUST_PICKLE_OPT_IN) -> dict:
    """Load a PoseDataset pickle, turning every failure into an error that names the file.

    Args:
        ann_file (str): The pickle.
        trust_pickle (bool): Fully unpickle it. By default it is loaded with
            :class:`~sugar_mm.utils.safe_pickle.RestrictedUnpickler` (dicts, lists, strings, numbers and numpy
            arrays only), since unpickling can run arbitrary code.
        opt_in (str): How the user turns ``trust_pickle`` on, for the refusal message.

    Raises:
        UnsafePickleError: the file names a global outside the allow-list (the message names file and global).
        SkeletonDataError: the file is not a readable PoseDataset pickle.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file}: annotation file not found (run the data preparation tool, '
                                'e.g. `python tools/data/msr_action3d.py RAW_DIR OUT.pkl`)')
    try:
        data = load_pickle(ann_file, trusted=trust_pickle, opt_in=opt_in)
    except UnsafePickleError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, MemoryError) as e:
        raise SkeletonDataError(f'{ann_file}: not a readable pickle ({type(e).__name__}: {e}); the file is '
                                'truncated or corrupt, convert the dataset again') from e
    if not isinstance(data, dict) or 'annotations' not in data:
        kind = type(data).__name__ if not isinstance(data, dict) else f'dict with keys {sorted(data)[:8]}'
        raise SkeletonDataError(f'{ann_file}: expected a dict with "annotations" (and "split"), got {kind}')
    if not isinstance(data['annotations'], list):
        raise SkeletonDataError(f'{ann_file}: "annotations" must be a list of dicts')
    return data


def check_sample(anno: dict, num_joints: Optional[int] = None, num_coords: Optional[int] = None,
                 num_classes: Optional[int] = None) -> Optional[str]:
    """The reason ``anno`` is unusable, or None when it is fine (the caller names the sample in its message).

    Args:
        anno (dict): One PoseDataset sample (``keypoint`` of shape ``(M, T, V, C)``).
        num_joints (int, optional): Expected V; None accepts any.
        num_coords (int, optional): Expected C; None accepts any.
        num_classes (int, optional): Labels must be below it; None only requires ``label >= 0``.
    """
    if not isinstance(anno, dict):
        return f'expected a dict, got {type(anno).__name__}'
    missing = [k for k in REQUIRED_KEYS if k not in anno]
    if missing:
        return f'missing keys {missing} (a sample needs {list(REQUIRED_KEYS)})'
    sid = anno['frame_dir']
    if not isinstance(sid, str) or not sid:
        return f'frame_dir must be a non-empty string (the sample id), got {type(sid).__name__} {_short(sid)}'
    total = anno['total_frames']
    if not _is_integer(total):
        return f'total_frames must be an integer frame count, got {type(total).__name__} {_short(total)}'
    kp = anno['keypoint']
    if not isinstance(kp, np.ndarray) or kp.ndim != 4:
        shape = getattr(kp, 'shape', None)
        return f'keypoint must be an array of shape (M, T, V, C), got {type(kp).__name__} {shape}'
    if kp.dtype.kind not in 'fiu':
        return f'keypoint must be a numeric (float or integer) array, got dtype {kp.dtype}'
    m, t, v, c = kp.shape
    if m == 0 or t == 0:
        return f'zero-length sequence (keypoint shape {kp.shape})'
    if int(total) != t:
        return f'total_frames={anno["total_frames"]} but keypoint has {t} frames'
    if num_joints is not None and v != num_joints:
        return f'{v} joints, but the config\'s graph layout has {num_joints}'
    if num_coords is not None and c != num_coords:
        return (f'{c}D keypoints, but the config expects {num_coords}D '
                f'({"2D data into a 3D config" if c == 2 else "coordinate count mismatch"})')
    if not np.isfinite(kp).all():
        bad = np.argwhere(~np.isfinite(kp))[0]
        return f'keypoint has NaN/inf (first at person {bad[0]}, frame {bad[1]}, joint {bad[2]})'
    if not np.any(kp):
        return 'all-zero skeleton (no joint was tracked in any frame)'
    label = anno['label']
    if not _is_integer(label):
        return f'label must be an integer class index, got {type(label).__name__} {_short(label)}'
    if label < 0 or (num_classes is not None and label >= num_classes):
        expected = f'0..{num_classes - 1}' if num_classes is not None else 'a class index >= 0'
        return f'label {int(label)} is outside the class list ({expected})'
    return None


def _is_integer(value) -> bool:
    """An int or a numpy integer, not a bool (``True`` is no class index or frame count)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _sample_id(anno, index: int) -> str:
    """The id a message names a sample by: its ``frame_dir`` (or ``filename``) when a string, else ``#index``."""
    sid = anno.get('frame_dir', anno.get('filename')) if isinstance(anno, dict) else None
    return sid if isinstance(sid, str) and sid else f'#{index}'


def log_warning_every_time(message: str) -> None:
    """``print_log(message, level=WARNING)`` even when the same text was logged before (a summary each dataset
    must show: mmengine's ``FilterDuplicateWarning`` drops a repeated warning)."""
    for handler in MMLogger.get_current_instance().handlers:
        for filt in handler.filters:
            if isinstance(filt, FilterDuplicateWarning):
                filt.seen.discard(message)
    print_log(message, logger='current', level=logging.WARNING)


@DATASETS.register_module()
class SkeletonDataset(PoseDataset):
    """Skeleton dataset over a PoseDataset pickle, with checks and class names.

    Everything ``PoseDataset`` does, plus:

    * every sample is checked (keys, id, types, shape, joint count, 2D/3D, NaN/inf, zero length, all-zero,
      label range) and ids are unique within the split (a second sample with the same ``frame_dir`` and label
      counts as bad; with a different label it is always an error); a bad sample is excluded with a warning that names it and the reason (``on_bad_sample='skip'``, the
      default, so that one broken sequence does not stop training) or raises (``'error'``). Excluded samples
      are listed in :attr:`excluded`.
    * ``classes`` (label-map name, path or list) gives the class names, exposed as ``metainfo['classes']``.
    * ``class_subset`` keeps only some classes and remaps labels to ``0..K-1`` in the subset's order (zero-shot
      training on seen classes, testing on unseen ones); see :func:`resolve_class_subset`. The original label
      stays in each sample as ``original_label``.

    Args:
        ann_file (str): Path of the pickle.
        pipeline (list): Transforms.
        split (str, optional): Key of ``split`` in the pickle (e.g. ``'xsub_train'``).
        classes (str | list[str], optional): Class names of the pickle's labels.
        class_subset (list[str] | dict, optional): Classes to keep (names, or a zero-shot split spec).
        num_joints (int, optional): Expected joints per frame (the graph layout's).
        num_coords (int, optional): Expected coordinates per joint (3 for 3D, 2 for 2D).
        on_bad_sample (str): ``'skip'`` or ``'error'``.
        trust_pickle (bool): Fully unpickle ``ann_file``. By default it is loaded with a restricted unpickler
            (dicts, lists, strings, numbers and numpy arrays, as the PoseDataset format needs) and a file naming
            anything else is refused (:class:`~sugar_mm.utils.safe_pickle.UnsafePickleError`): unpickling can
            run arbitrary code. Only for files you trust.
        **kwargs: Passed to ``PoseDataset``.

    Required keys of each sample: ``frame_dir``, ``label``, ``keypoint`` (M, T, V, C), ``total_frames``.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 split: Optional[str] = None,
                 classes: Union[None, str, Sequence[str]] = None,
                 class_subset: Union[None, Sequence[str], dict] = None,
                 num_joints: Optional[int] = None,
                 num_coords: Optional[int] = None,
                 on_bad_sample: str = 'skip',
                 trust_pickle: bool = False,
                 **kwargs) -> None:
        if on_bad_sample not in ('skip', 'error'):
            raise ValueError(f'on_bad_sample must be "skip" or "error", got {on_bad_sample!r}')
        self.all_classes = load_label_map(classes) if isinstance(classes, str) else \
            (list(classes) if classes is not None else None)
        if self.all_classes is not None and not self.all_classes:
            raise ValueError(f'{ann_file}: empty class list')
        if self.all_classes is not None and not isinstance(classes, str):
            check_class_names(self.all_classes, f'{ann_file}: classes')
        self.class_subset = resolve_class_subset(class_subset, self.all_classes)
        self.num_joints = num_joints
        self.num_coords = num_coords
        self.on_bad_sample = on_bad_sample
        self.trust_pickle = bool(trust_pickle)
        self.excluded: List[Dict[str, str]] = []
        classes_meta = self.class_subset if self.class_subset is not None else self.all_classes
        metainfo = kwargs.pop('metainfo', None) or {}
        if classes_meta is not None:
            metainfo = dict(metainfo, classes=tuple(classes_meta))
        super().__init__(ann_file=ann_file, pipeline=pipeline, split=split, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[Dict]:
        data = load_annotation_file(self.ann_file, self.trust_pickle)
        annos = data['annotations']
        if self.split is not None:
            annos = self._select_split(data, annos)

        num_classes = len(self.all_classes) if self.all_classes is not None else None
        keep, first = [], {}
        for i, anno in enumerate(annos):
            name = _sample_id(anno, i)
            reason = check_sample(anno, self.num_joints, self.num_coords, num_classes)
            if reason is not None:
                self._bad(name, reason)
                continue
            if name in first:  # a duplicate id: scored (or trained on) twice, or two sequences under one name
                kept = first[name]['label']
                if int(kept) != int(anno['label']):
                    raise SkeletonDataError(
                        f'{self.ann_file}: frame_dir {name!r} appears more than once{self._in_split()} with '
                        f'different labels ({int(kept)} and {int(anno["label"])}); a sample id must name one '
                        'sequence of one class: fix the annotation file')
                self._bad(name, f'duplicate frame_dir{self._in_split()} (its first sample, label {int(kept)}, is '
                          'kept)')
                continue
            first[name] = anno
            keep.append(anno)

        if self.class_subset is not None:
            index = {n: j for j, n in enumerate(self.class_subset)}
            subset = []
            for anno in keep:
                name = self.all_classes[anno['label']]
                if name in index:
                    anno = dict(anno, original_label=int(anno['label']), label=index[name])
                    subset.append(anno)
            keep = subset
        if not keep:
            raise SkeletonDataError(f'{self.ann_file}: no usable sample (split={self.split!r}, '
                                    f'{len(self.excluded)} excluded, class_subset={self.class_subset})')
        if self.excluded:
            names = [e['sample'] for e in self.excluded]
            log_warning_every_time(
                f'{self.ann_file}{self._in_split()}: {len(self.excluded)} sample(s) excluded, {len(keep)} kept '
                f'(excluded: {", ".join(map(repr, names[:5]))}{", ..." if len(names) > 5 else ""}; '
                'each named above with its reason)')
        return keep

    def _in_split(self) -> str:
        return f' in split {self.split!r}' if self.split is not None else ''

    def _select_split(self, data: dict, annos: list) -> list:
        """The annotations of ``self.split`` (ids without annotation are reported; a sample whose ``frame_dir``
        is not a string cannot be matched to a split and is reported as bad)."""
        splits = data.get('split')
        if not isinstance(splits, dict):
            raise SkeletonDataError(f'{self.ann_file}: split={self.split!r} was asked for, but the file has no '
                                    '"split" dict')
        if self.split not in splits:
            raise SkeletonDataError(f'{self.ann_file}: no split {self.split!r}; it has {sorted(splits)}')
        ids = splits[self.split]
        if not isinstance(ids, (list, tuple, set)) or not all(isinstance(x, str) for x in ids):
            wrong = next((x for x in ids if not isinstance(x, str)), None) if isinstance(ids, (list, tuple, set)) \
                else ids
            raise SkeletonDataError(f'{self.ann_file}: split {self.split!r} must be a list of frame_dir strings, '
                                    f'got {type(wrong).__name__} {_short(wrong)}')
        wanted = set(ids)
        selected = []
        for i, anno in enumerate(annos):
            sid = anno.get('frame_dir', anno.get('filename')) if isinstance(anno, dict) else None
            if isinstance(sid, str):
                if sid in wanted:
                    selected.append(anno)
            elif isinstance(anno, dict) and 'frame_dir' in anno:
                self._bad(f'#{i}', f'frame_dir must be a string (the sample id), got {type(sid).__name__} '
                          f'{_short(sid)}; it cannot be matched to split {self.split!r}')
        found = {_sample_id(a, -1) for a in selected}
        lost = sorted(wanted - found)
        if lost:
            print_log(f'{self.ann_file}: {len(lost)} ids of split {self.split!r} have no annotation '
                      f'(first: {lost[:5]})', logger='current', level=30)
        return selected

    def _bad(self, name: str, reason: str) -> None:
        msg = f'{self.ann_file}: sample {name!r}: {reason}'
        if self.on_bad_sample == 'error':
            raise SkeletonDataError(msg)
        self.excluded.append(dict(sample=name, reason=reason))
        print_log(msg + ' -> excluded', logger='current', level=30)
