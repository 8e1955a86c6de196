"""Class subsets: seen/unseen zero-shot splits and explicit class lists."""
from __future__ import annotations

import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

from .label_maps import META_DIR, load_label_map

ZSL_SPLITS_FILE = osp.join(META_DIR, 'zsl_splits.json')


def zsl_splits() -> Dict[str, dict]:
    """The shipped zero-shot splits: ``{name: {dataset, num_classes, unseen: [0-based indices]}}``."""
    with open(ZSL_SPLITS_FILE) as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith('_')}


def zsl_class_names(split: str, part: str) -> List[str]:
    """Seen or unseen class names of a shipped zero-shot split (label-map order).

    Args:
        split (str): e.g. ``'ntu60_55_5'``, ``'msr_action3d_15_5'``.
        part (str): ``'seen'``, ``'unseen'`` or ``'all'``.
    """
    splits = zsl_splits()
    if split not in splits:
        raise KeyError(f'unknown zero-shot split {split!r}; shipped: {sorted(splits)}')
    spec = splits[split]
    names = load_label_map(spec['dataset'])
    if len(names) != spec['num_classes']:
        raise ValueError(f'{split}: label map has {len(names)} classes, split says {spec["num_classes"]}')
    unseen = set(spec['unseen'])
    if part == 'unseen':
        return [names[i] for i in sorted(unseen)]
    if part == 'seen':
        return [n for i, n in enumerate(names) if i not in unseen]
    if part == 'all':
        return list(names)
    raise ValueError(f'part must be "seen", "unseen" or "all", got {part!r}')


def resolve_class_subset(spec: Union[None, Sequence[str], dict, str],
                         all_classes: Optional[Sequence[str]]) -> Optional[List[str]]:
    """Turn a class-subset spec into a list of class names (or None for "all classes").

    ``spec`` may be a list of names, a label-map file/name (str), or ``dict(zsl_split=NAME, part='seen')``.
    Every name must be one of ``all_classes``.
    """
    if spec is None:
        return None
    if isinstance(spec, dict):
        unknown = set(spec) - {'zsl_split', 'part'}
        if unknown or 'zsl_split' not in spec:
            raise ValueError(f'class_subset dict needs keys zsl_split and part, got {sorted(spec)}')
        names = zsl_class_names(spec['zsl_split'], spec.get('part', 'seen'))
    elif isinstance(spec, str):
        names = load_label_map(spec)
    else:
        names = [str(n) for n in spec]
    if not names:
        raise ValueError('class_subset is empty')
    if all_classes is None:
        raise ValueError('class_subset needs the dataset\'s `classes` (its label map) to map names to labels')
    missing = [n for n in names if n not in all_classes]
    if missing:
        raise ValueError(f'class_subset names {missing} are not in the dataset\'s classes')
    if len(set(names)) != len(names):
        raise ValueError('class_subset has duplicate names')
    return names
