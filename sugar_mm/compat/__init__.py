"""Compatibility fixes for the released OpenMMLab stack, one module per upstream problem.

``sugar_mm/__init__.py`` imports this package first, before anything imports ``mmaction.models``. Each module
names its upstream bug in its docstring and offers ``detect()`` -- a probe of behaviour (never a version number
or a reading of upstream source) that is true where the bug shows -- and ``apply()``, the fix (idempotent).
:func:`apply_all` applies, in this order, each fix whose probe detects its bug; :func:`applied_fixes` lists them.

1. :mod:`.known_warnings`: mmcv-lite's, setuptools', torch.jit's and transformers' known warning noise,
   silenced by message, category and module (first, so that the imports below stay quiet).
2. :mod:`.missing_drn`: the mmaction2 1.2.0 wheel lacks ``mmaction/models/localizers/drn``.
3. :mod:`.multimodal_branch`: mmaction's VindLU package does not import under transformers 5.
4. :mod:`.checkpoint_loading`: mmengine checkpoints under torch>=2.6's ``weights_only`` default (with the trust
   policy: checkpoints signed by this user's sugar_mm runs, :func:`trust_checkpoint_dir`,
   ``SUGAR_MM_TRUST_CHECKPOINTS=1``; a run's ``work_dir`` grants nothing).
5. :mod:`.init_dist_cpu`: mmengine's ``init_dist`` calls ``torch.cuda.set_device`` on CPU-only machines.
6. :mod:`.ddp_arguments`: DDP's ``device_ids`` for CPU modules and torch 2.13's ``broadcast_buffers``.

Other places where sugar_mm changes upstream state, which are features rather than fixes (documented where they
are, listed here so that every such change is in one list):

* :mod:`sugar_mm.engine.atomic_io` registers an atomic ``LocalBackend`` as mmengine's backend for local paths
  (``register_backend(..., force=True)``) and drops the plain ``LocalBackend`` instances that mmengine caches
  in ``mmengine.fileio.io.backend_instances``, so that later ``fileio.put`` calls use the new backend;
* :mod:`sugar_mm.datasets.layouts` wraps ``__init__`` of mmaction's ``Graph`` and ``JointToBone`` so that they
  accept sugar_mm's registered skeleton layouts by name (built-in names go to the upstream code unchanged);
* :mod:`sugar_mm.utils.io` reads the process umask once at import (``os.umask`` is the only portable way to
  read it, and it sets it too: it is set back at once) so that atomically written files get the usual
  permissions.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any, List, Tuple

from . import (checkpoint_loading, ddp_arguments, init_dist_cpu, known_warnings, missing_drn,
               multimodal_branch)
from .checkpoint_loading import (CheckpointFormatError, UntrustedCheckpointError, is_trusted_checkpoint,
                                 load_checkpoint_file, trust_checkpoint_dir, trusted_checkpoint_dir)
from .known_warnings import pytest_filterwarnings  # noqa: F401  (tests/conftest.py)

__all__ = [
    'apply_all', 'applied_fixes', 'trust_checkpoint_dir', 'trusted_checkpoint_dir', 'is_trusted_checkpoint',
    'UntrustedCheckpointError', 'CheckpointFormatError', 'SAFE_CHECKPOINT_GLOBALS', 'load_checkpoint_file'
]

#: The fix modules, in the order :func:`apply_all` runs them.
FIXES: Tuple[ModuleType, ...] = (known_warnings, missing_drn, multimodal_branch, checkpoint_loading,
                                 init_dist_cpu, ddp_arguments)

_APPLIED: List[str] = []
_DONE = False


def applied_fixes() -> List[str]:
    """Names (each module's ``NAME``) of the fixes that were needed, and applied, in this process."""
    return list(_APPLIED)


def apply_all() -> None:
    """Apply each fix whose probe detects its bug, once per process (idempotent). Runs on ``import sugar_mm``."""
    global _DONE
    if _DONE:
        return
    for fix in FIXES:
        if fix.detect():
            fix.apply()
            if fix.NAME not in _APPLIED:
                _APPLIED.append(fix.NAME)
    _DONE = True


def __getattr__(name: str) -> Any:
    """``SAFE_CHECKPOINT_GLOBALS``: :func:`.checkpoint_loading.safe_checkpoint_globals`, built on first use."""
    if name == 'SAFE_CHECKPOINT_GLOBALS':  # imports numpy and mmengine
        return checkpoint_loading.safe_checkpoint_globals()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


apply_all()
