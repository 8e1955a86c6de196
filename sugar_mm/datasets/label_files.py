"""The label-map files shipped with sugar_mm (class names in label order) and their reader.

A ground module: it imports nothing of sugar_mm, so every class-list module can build on it.
"""
from __future__ import annotations

import os.path as osp
import unicodedata
from typing import Dict, List, Optional, Sequence

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
        ValueError: when the file is not UTF-8, is empty, or has blank, invisible or duplicate names.
    """
    if name_or_path in LABEL_MAPS:
        path = osp.join(META_DIR, LABEL_MAPS[name_or_path])
    elif osp.isfile(name_or_path):
        path = name_or_path
    else:
        raise FileNotFoundError(f'label map {name_or_path!r} is neither a file nor one of {sorted(LABEL_MAPS)}')
    lines = read_utf8_text(path, 'label map', 'one class name per line').splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names = [line.strip() for line in lines]
    if not names:
        raise ValueError(f'{path}: empty label map (expected one class name per line)')
    check_class_names(names, path, line_numbers=True)
    return names


def read_utf8_text(path: str, what: str, expected: str) -> str:
    """The text of ``path`` (UTF-8, a leading BOM dropped); a file that is not UTF-8 is an error naming it.

    Args:
        path (str): The file.
        what (str): What the file is, for the message (``'label map'``).
        expected (str): What it should hold, for the message.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        return raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b'\n') + 1
        raise ValueError(f'{path}: the {what} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}, '
                         f'line {line}); save it as UTF-8 ({expected})') from None


#: Unicode categories no class name may contain: control, format (zero-width spaces, joiners, direction marks),
#: surrogates, line/paragraph separators. Such a name looks like another one, or like nothing.
_INVISIBLE = ('Cc', 'Cf', 'Cs', 'Zl', 'Zp')


def check_class_names(names: Sequence[str], source: str, line_numbers: bool = False) -> None:
    """Every name is a non-empty string of visible text, and no name repeats; else a ValueError naming ``source``.

    Args:
        names (Sequence[str]): Class names in label order.
        source (str): The file (or list) they came from, for the message.
        line_numbers (bool): Name entries as file lines (1-based) instead of list indices.
    """
    for i, name in enumerate(names):
        where = f'{source}: line {i + 1}' if line_numbers else f'{source}: class {i}'
        if not isinstance(name, str):
            raise ValueError(f'{where}: a class name must be a string, got {type(name).__name__} {name!r}')
        if not name.strip():
            raise ValueError(f'{where} is blank (expected one class name per line)' if line_numbers else
                             f'{where} is blank (expected a class name)')
        bad = _invisible_char(name)
        if bad is not None:
            raise ValueError(f'{where}: class name {name!r} contains the invisible character U+{ord(bad):04X} '
                             f'({unicodedata.name(bad, unicodedata.category(bad))}); class names must be visible '
                             'text')
    dup = sorted({n for n in names if list(names).count(n) > 1})
    if dup:
        raise ValueError(f'{source}: duplicate class names {dup}')


def _invisible_char(name: str) -> Optional[str]:
    return next((ch for ch in name if unicodedata.category(ch) in _INVISIBLE), None)
