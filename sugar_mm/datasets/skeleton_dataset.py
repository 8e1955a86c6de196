"""``SkeletonDataset``: mmaction's ``PoseDataset`` with validated input, class names and class subsets."""
from __future__ import annotations

import os.path as osp
import pickle
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmaction.datasets import PoseDataset
from mmengine.logging import print_log

from sugar_mm.registry import DATASETS
from .class_subsets import resolve_class_subset
from .label_maps import load_label_map

REQUIRED_KEYS = ('frame_dir', 'label', 'keypoint', 'total_frames')


class SkeletonDataError(ValueError):
    """The annotation file (or one of its samples) is not what the config expects."""


def load_annotation_file(ann_file: str) -> dict:
    """Load a PoseDataset pickle, turning every failure into an error that names the file."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file}: annotation file not found (run the data preparation tool, '
                                'e.g. `python tools/data/msr_action3d.py RAW_DIR OUT.pkl`)')
    try:
        with open(ann_file, 'rb') as f:
            data = pickle.load(f)
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
    kp = anno['keypoint']
    if not isinstance(kp, np.ndarray) or kp.ndim != 4:
        shape = getattr(kp, 'shape', None)
        return f'keypoint must be an array of shape (M, T, V, C), got {type(kp).__name__} {shape}'
    m, t, v, c = kp.shape
    if m == 0 or t == 0:
        return f'zero-length sequence (keypoint shape {kp.shape})'
    if int(anno['total_frames']) != t:
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
    if not isinstance(label, (int, np.integer)) or label < 0 or (num_classes is not None and label >= num_classes):
        return f'label {label!r} is outside the class list (0..{(num_classes or 0) - 1})'
    return None


@DATASETS.register_module()
class SkeletonDataset(PoseDataset):
    """Skeleton dataset over a PoseDataset pickle, with checks and class names.

    Everything ``PoseDataset`` does, plus:

    * every sample is checked (keys, shape, joint count, 2D/3D, NaN/inf, zero length, all-zero, label range);
      a bad sample is excluded with a warning that names it and the reason (``on_bad_sample='skip'``, the
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
                 **kwargs) -> None:
        if on_bad_sample not in ('skip', 'error'):
            raise ValueError(f'on_bad_sample must be "skip" or "error", got {on_bad_sample!r}')
        self.all_classes = load_label_map(classes) if isinstance(classes, str) else \
            (list(classes) if classes is not None else None)
        if self.all_classes is not None and not self.all_classes:
            raise ValueError(f'{ann_file}: empty class list')
        self.class_subset = resolve_class_subset(class_subset, self.all_classes)
        self.num_joints = num_joints
        self.num_coords = num_coords
        self.on_bad_sample = on_bad_sample
        self.excluded: List[Dict[str, str]] = []
        classes_meta = self.class_subset if self.class_subset is not None else self.all_classes
        metainfo = kwargs.pop('metainfo', None) or {}
        if classes_meta is not None:
            metainfo = dict(metainfo, classes=tuple(classes_meta))
        super().__init__(ann_file=ann_file, pipeline=pipeline, split=split, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[Dict]:
        data = load_annotation_file(self.ann_file)
        annos = data['annotations']
        if self.split is not None:
            splits = data.get('split')
            if not isinstance(splits, dict):
                raise SkeletonDataError(f'{self.ann_file}: split={self.split!r} was asked for, but the file has no '
                                        '"split" dict')
            if self.split not in splits:
                raise SkeletonDataError(f'{self.ann_file}: no split {self.split!r}; it has {sorted(splits)}')
            wanted = set(splits[self.split])
            annos = [a for a in annos if isinstance(a, dict) and a.get('frame_dir', a.get('filename')) in wanted]
            found = {a.get('frame_dir', a.get('filename')) for a in annos}
            lost = sorted(wanted - found)
            if lost:
                print_log(f'{self.ann_file}: {len(lost)} ids of split {self.split!r} have no annotation '
                          f'(first: {lost[:5]})', logger='current', level=30)

        num_classes = len(self.all_classes) if self.all_classes is not None else None
        keep = []
        for i, anno in enumerate(annos):
            name = anno.get('frame_dir', anno.get('filename', f'#{i}')) if isinstance(anno, dict) else f'#{i}'
            reason = check_sample(anno, self.num_joints, self.num_coords, num_classes)
            if reason is not None:
                self._bad(name, reason)
                continue
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
            print_log(f'{self.ann_file}: {len(self.excluded)} sample(s) excluded, {len(keep)} kept',
                      logger='current', level=30)
        return keep

    def _bad(self, name: str, reason: str) -> None:
        msg = f'{self.ann_file}: sample {name!r}: {reason}'
        if self.on_bad_sample == 'error':
            raise SkeletonDataError(msg)
        self.excluded.append(dict(sample=name, reason=reason))
        print_log(msg + ' -> excluded', logger='current', level=30)
