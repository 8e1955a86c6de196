"""Class subsets of a dataset: explicit class lists, label maps or zero-shot splits (seen / unseen)."""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

from .label_maps import load_label_map
from .zero_shot_splits import zsl_class_names, zsl_splits

__all__ = ['resolve_class_subset', 'zsl_class_names', 'zsl_splits']


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
