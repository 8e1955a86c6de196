"""Class lists by name: shipped label maps, label-map files and ``zsl:`` zero-shot lists.

The one entry point the rest of sugar_mm uses (:func:`load_label_map`); it composes the two ground modules
:mod:`.label_files` (the files) and :mod:`.zero_shot_splits` (the splits).
"""
from __future__ import annotations

from typing import List

from .label_files import LABEL_MAPS, META_DIR, read_label_map
from .zero_shot_splits import ZSL_PREFIX, parse_zsl_name

__all__ = ['LABEL_MAPS', 'META_DIR', 'load_label_map']


def load_label_map(name_or_path: str) -> List[str]:
    """Class names, one per line, of a shipped dataset (``'ntu120'``) or of a text file.

    ``'zsl:<split>:<part>'`` (e.g. ``'zsl:msr_action3d_15_5:unseen'``; part ``seen``/``unseen``/``all``) gives the
    classes of a shipped zero-shot split (:mod:`sugar_mm.datasets.zero_shot_splits`).

    Raises:
        FileNotFoundError: when ``name_or_path`` is neither a shipped name nor a file.
        ValueError: when the file is not UTF-8, is empty, or has blank, invisible or duplicate names.
    """
    if isinstance(name_or_path, str) and name_or_path.startswith(ZSL_PREFIX):
        return parse_zsl_name(name_or_path)
    return read_label_map(name_or_path)
