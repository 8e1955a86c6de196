"""The label-map files shipped with sugar_mm (class names in label order) and their reader.

A ground module: it imports nothing of sugar_mm, so every class-list module can build on it.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, List

META_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'meta')

#: Shipped label maps: dataset name -> file in :data:`META_DIR`.
LABEL_MAPS: Dict[str, str] = {
    'ntu60': 'label_map_ntu60.txt',
    'ntu120': 'label_map_ntu120.txt',
    'pku_mmd': 'label_map_pku_mmd.txt',
    'toyota': 'label_map_toyota.txt',
    'toyota_xview': 'label_map_toyota_xview.txt',  # the 19 classes of the cross-view protocols
    'msr_action3d': 'label_map_msr_action3d.txt',
}


def read_label_map(name_or_path: str) -> List[str]:
    """Class names, one per line, of a shipped dataset (``'ntu120'``) or of a text file.

    Raises:
        FileNotFoundError: when ``name_or_path`` is neither a shipped name nor a file.
        ValueError: when the file is empty or has blank or duplicate names.
    """
    if name_or_path in LABEL_MAPS:
        path = osp.join(META_DIR, LABEL_MAPS[name_or_path])
    elif osp.isfile(name_or_path):
        path = name_or_path
    else:
        raise FileNotFoundError(f'label map {name_or_path!r} is neither a file nor one of {sorted(LABEL_MAPS)}')
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names = [line.strip() for line in lines]
    if not names:
        raise ValueError(f'{path}: empty label map (expected one class name per line)')
    for i, n in enumerate(names):
        if not n:
            raise ValueError(f'{path}: line {i + 1} is blank (expected one class name per line)')
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'{path}: duplicate class names {dup}')
    return names
