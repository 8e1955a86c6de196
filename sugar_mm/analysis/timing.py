"""Timing and cost helpers shared by the benchmark and the GPU check."""
from __future__ import annotations

import resource
import statistics
import time
from typing import Callable, Dict, List, Optional


def summarize(times: List[float]) -> Dict[str, float]:
    """Median and spread of repeated timings (seconds).

    Args:
        times (list[float]): The timings.

    Returns:
        dict: ``median``, ``min``, ``max`` and ``reps``.
    """
    return dict(median=statistics.median(times), min=min(times), max=max(times), reps=len(times))


def timeit(fn: Callable[[], object], reps: int, warmup: int = 1,
           sync: Optional[Callable[[], object]] = None) -> Dict[str, float]:
    """Time ``fn`` ``reps`` times after ``warmup`` calls.

    Args:
        fn (Callable): What to time (no arguments).
        reps (int): Timed repetitions.
        warmup (int): Untimed calls first. Defaults to 1.
        sync (Callable, optional): Called before each clock read (e.g. ``torch.cuda.synchronize``) so that
            asynchronous device work is counted.

    Returns:
        dict: :func:`summarize` of the timings.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return summarize(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn``, counted by :class:`torch.utils.flop_counter.FlopCounterMode`."""
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def matmul_peak(n: int = 2048, reps: int = 5) -> float:
    """The measured fp32 matrix-product rate of this CPU (GFLOP/s) on ``n x n`` matrices."""
    import torch
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = timeit(lambda: a @ b, reps, warmup=2)
    return 2 * n ** 3 / t['median'] / 1e9
