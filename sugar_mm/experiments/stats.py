"""Per-seed values, their spread, and whether one setting beats another beyond it."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional, Sequence


@dataclass
class SeedStats:
    """Summary of one metric over seeds (values in the metric's own unit).

    Attributes:
        values (dict): seed -> value.
        mean, std (float): Mean and sample standard deviation (ddof=1; 0 for one seed).
        lo, hi (float): Smallest and largest value.
    """

    values: Dict[int, float]
    mean: float
    std: float
    lo: float
    hi: float

    @property
    def n(self) -> int:
        return len(self.values)

    @classmethod
    def of(cls, values: Dict[int, float]) -> 'SeedStats':
        if not values:
            raise ValueError('no values to summarise')
        v = list(values.values())
        mean = sum(v) / len(v)
        std = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
        return cls(dict(values), mean, std, min(v), max(v))

    def format(self, scale: float = 100.0, digits: int = 1, spread: bool = True) -> str:
        """``'72.5 ± 1.2 (3; 71.1-73.9)'`` (percent by default); one seed: ``'72.5 (1 seed)'``."""
        m, s, lo, hi = (x * scale for x in (self.mean, self.std, self.lo, self.hi))
        if self.n == 1:
            return f'{m:.{digits}f} (1 seed)'
        text = f'{m:.{digits}f} ± {s:.{digits}f}'
        return text + (f' ({self.n}; {lo:.{digits}f}-{hi:.{digits}f})' if spread else '')


def compare(a: Dict[int, float], b: Dict[int, float]) -> str:
    """Does ``a`` beat ``b`` beyond the seed spread? ``'higher'``, ``'lower'`` or ``'within noise'``.

    The project's rule: a difference counts only if every paired (same-seed) difference has the same sign, or
    the gap of the means exceeds 2 standard deviations (the larger of the two). Fewer than 3 common seeds, or
    no common seed at all, is never a difference.
    """
    common = sorted(set(a) & set(b))
    if len(common) < 3:
        return 'within noise'
    diffs = [a[s] - b[s] for s in common]
    sa, sb = SeedStats.of({s: a[s] for s in common}), SeedStats.of({s: b[s] for s in common})
    gap = sa.mean - sb.mean
    if all(d > 0 for d in diffs) or gap > 2 * max(sa.std, sb.std):
        return 'higher'
    if all(d < 0 for d in diffs) or -gap > 2 * max(sa.std, sb.std):
        return 'lower'
    return 'within noise'


def metric_values(seeds: Dict[str, dict], metric: str, test: str = 'default') -> Dict[int, float]:
    """seed -> value of ``metric`` in ``test`` from a row's per-seed results (skips seeds without it)."""
    out = {}
    for seed, res in seeds.items():
        value = res.get('tests', {}).get(test, {}).get(metric)
        if value is not None:
            out[int(seed)] = float(value)
    return out


def mean_of(seeds: Dict[str, dict], key: str) -> Optional[float]:
    """Mean of a top-level per-seed number (e.g. ``train_minutes``)."""
    values = [float(r[key]) for r in seeds.values() if r.get(key) is not None]
    return sum(values) / len(values) if values else None


def fmt_values(values: Sequence[float], scale: float = 100.0) -> str:
    return ' / '.join(f'{v * scale:.1f}' for v in values)
