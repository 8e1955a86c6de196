"""Measurement helpers behind ``tools/analysis/benchmark.py`` and ``tools/analysis/gpu_check.py``.

* :mod:`.timing`: repeated timings (median and spread), FLOP counts, the machine's matrix-product peak, peak RSS;
* :mod:`.builders`: a config with overrides, its model with random weights, real batches through its pipeline;
* :mod:`.gpu_check`: the GPU checks (bf16, gradient checkpointing, NCCL DDP, paper scale), one function a section.

Nothing here imports ``transformers`` or ``peft`` at import time.
"""
from .builders import build_model, load_cfg, real_batch
from .timing import count_flops, matmul_peak, peak_rss_mb, summarize, timeit

__all__ = ['summarize', 'timeit', 'peak_rss_mb', 'count_flops', 'matmul_peak', 'load_cfg', 'build_model',
           'real_batch']
