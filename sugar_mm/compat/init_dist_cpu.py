"""mmengine's ``init_dist`` (pytorch launcher) fails on machines without CUDA.

Upstream bug: ``mmengine.dist.utils._init_dist_pytorch`` calls ``torch.cuda.set_device(local_rank)`` whenever no
MLU/NPU/MUSA device is found -- also on CPU-only torch -- so ``tools/dist_train.sh`` and
``init_dist('pytorch')`` raise before any process group exists.

Fix: with no CUDA device, initialise the process group with ``gloo`` and skip ``set_device``; configs keep
``backend='nccl'`` for GPU users (with CUDA the upstream function runs unchanged).

Probe: :func:`detect` returns False where the upstream path is right: with CUDA, or with an MLU/NPU/MUSA device
(mmengine's own ``is_*_available`` checks, which pick its branch). Otherwise it calls the function that
``init_dist('pytorch')`` dispatches to, with ``init_backend`` and ``init_method`` set to a probe name that cannot
initialise anything (``LOCAL_RANK``, ``RANK`` and ``WORLD_SIZE`` default to one process while it runs, and are
removed again): a function that gets past device selection stops on that name (unknown init backend, no
rendezvous handler) without a process group; one that fails before, on CUDA, shows the bug.
"""
from __future__ import annotations

import contextlib
import functools
import os
from typing import Iterator

NAME = 'mmengine-init-dist-cpu'
_PROBE = 'sugar-mm-probe'


@contextlib.contextmanager
def _single_process_env() -> Iterator[None]:
    """``RANK``/``LOCAL_RANK``/``WORLD_SIZE`` as a one-process launcher sets them, where unset; restored after."""
    added = [k for k in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE') if k not in os.environ]
    for key in added:
        os.environ[key] = '1' if key == 'WORLD_SIZE' else '0'
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def detect() -> bool:
    """Whether ``init_dist('pytorch')`` would fail on CUDA before creating a process group."""
    import torch
    from mmengine.device import is_mlu_available, is_musa_available, is_npu_available
    from mmengine.dist import utils as dist_utils
    if torch.cuda.is_available() or is_mlu_available() or is_npu_available() or is_musa_available():
        return False
    with _single_process_env():
        try:
            dist_utils._init_dist_pytorch(_PROBE, init_backend=_PROBE, init_method=f'{_PROBE}://')
        except Exception as e:  # noqa: BLE001 - any failure that is not the probe's own stop is the bug
            return _PROBE not in str(e)
    return False  # nothing raised: an upstream that needs no device handled the call


def apply() -> None:
    """Wrap ``_init_dist_pytorch``: without CUDA, a ``gloo`` process group and no ``set_device`` (idempotent)."""
    from mmengine.dist import utils as dist_utils
    if getattr(dist_utils._init_dist_pytorch, '_sugar_mm_patched', False):
        return
    original = dist_utils._init_dist_pytorch

    @functools.wraps(original)
    def _init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs) -> None:
        import torch
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        import torch.distributed as torch_dist
        if init_backend != 'torch':
            raise ValueError(f'init_backend={init_backend!r} needs CUDA; on CPU only "torch" (gloo) works')
        kwargs.setdefault('rank', int(os.environ['RANK']))
        kwargs.setdefault('world_size', int(os.environ['WORLD_SIZE']))
        torch_dist.init_process_group(backend='gloo', **kwargs)

    _init_dist_pytorch._sugar_mm_patched = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch
