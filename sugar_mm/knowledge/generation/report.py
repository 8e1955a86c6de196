"""``GenerationReport``: what one generation run did (results, raw answers, flags, timing)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from .draft import KnowledgeDraft


@dataclass
class GenerationReport:
    """What one generation run did.

    Attributes:
        field (str): ``'motion'``, ``'brief'`` or ``'visual'``.
        results (dict): ``{class: value written}`` for the classes generated in this run.
        raw (dict): ``{class: [raw answers, in call order]}`` (visual: one list per kept frame, flattened).
        flags (dict): ``{class: reason}`` of the classes flagged in this run.
        skipped (list): Classes whose field was already filled (not regenerated).
        no_input (list): Classes without input (visual: no frames; brief: no motion knowledge).
        seconds (dict): ``{class: wall time}``.
        calls (int): Model calls made.
        frames (dict): Visual only: ``{class: ids of the kept frames}``.
    """

    field: str
    results: Dict[str, object] = field(default_factory=dict)
    raw: Dict[str, List[str]] = field(default_factory=dict)
    flags: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    no_input: List[str] = field(default_factory=list)
    seconds: Dict[str, float] = field(default_factory=dict)
    calls: int = 0
    frames: Dict[str, List[str]] = field(default_factory=dict)

    def summary(self, path: Optional[str] = None, draft: Optional[KnowledgeDraft] = None) -> str:
        lines = [f'{self.field}: generated {len(self.results)} classes, skipped {len(self.skipped)} already filled, '
                 f'{self.calls} model calls']
        if self.seconds:
            secs = list(self.seconds.values())
            lines.append(f'  time per class: mean {np.mean(secs):.1f} s, max {max(secs):.1f} s')
        if self.no_input:
            lines.append(f'  no input for {len(self.no_input)} classes: {self.no_input}')
        if self.flags:
            lines.append(f'  flagged in this run ({len(self.flags)}):')
            lines += [f'    {name}: {why}' for name, why in self.flags.items()]
        else:
            lines.append('  flagged in this run: none')
        if draft is not None:
            all_flags = draft.flagged_classes().get(self.field, {})
            missing = draft.pending(self.field)
            lines.append(f'  draft: {len(all_flags)} classes flagged for {self.field}, '
                         f'{len(missing)} of {len(draft.names)} still without {self.field}')
        if path:
            lines.append(f'  output: {path}')
        return '\n'.join(lines)
