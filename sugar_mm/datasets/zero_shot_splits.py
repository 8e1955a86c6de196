"""The shipped zero-shot splits (``meta/zsl_splits.json``): seen and unseen classes of each.

Builds on :mod:`.label_files` only; :func:`~sugar_mm.datasets.label_maps.load_label_map` resolves
``'zsl:<split>:<part>'`` names through :func:`zsl_class_names`.
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Dict, List

from .label_files import META_DIR, read_label_map

ZSL_SPLITS_FILE = osp.join(META_DIR, 'zsl_splits.json')
#: Prefix of a zero-shot class-list name: ``'zsl:<split>:<seen|unseen|all>'``.
ZSL_PREFIX = 'zsl:'


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
    names = read_label_map(spec['dataset'])
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


def parse_zsl_name(name: str) -> List[str]:
    """Class names of ``'zsl:<split>:<part>'`` (e.g. ``'zsl:msr_action3d_15_5:unseen'``)."""
    parts = name.split(':')
    if len(parts) != 3:
        raise ValueError(f'{name!r}: expected zsl:<split>:<seen|unseen|all>')
    return zsl_class_names(parts[1], parts[2])
