"""``Runner.wrap_model``'s DDP arguments fail for CPU modules and are deprecated by torch 2.13.

Upstream bugs: mmengine's ``Runner.wrap_model`` builds ``MMDistributedDataParallel`` with
``device_ids=[LOCAL_RANK]``, which ``torch.nn.parallel.DistributedDataParallel`` rejects for CPU modules
(``ValueError``), and with ``broadcast_buffers``, which torch 2.13 deprecates in favour of
``forward_sync_buffers`` (a ``FutureWarning`` per wrapped model).

Fix: ``MMDistributedDataParallel.__init__`` drops ``device_ids``/``output_device`` for CPU modules and, where
torch deprecates ``broadcast_buffers``, passes it on as ``forward_sync_buffers``. (Unlike
``broadcast_buffers=False``, ``forward_sync_buffers=False`` still syncs buffers once at construction, which only
makes the ranks' initial buffers identical.)

Probe: :func:`detect` builds ``MMDistributedDataParallel`` around a one-parameter CPU module with a stand-in
process group, so no process group has to exist and none is used: DDP checks its arguments (and warns about
deprecated ones) before it first talks to the group, where the stand-in makes it stop. The probe reports a
``device_ids`` ``ValueError`` (:func:`cpu_device_ids_rejected`) or a ``broadcast_buffers`` ``FutureWarning``
(:func:`broadcast_buffers_deprecated`).
"""
from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, List, Optional, Tuple

NAME = 'ddp-arguments'


class _StandInProcessGroup:
    """Truthy, and unusable: DDP stops with a ``TypeError`` when it first hands it to a collective."""

    def __bool__(self) -> bool:
        return True


def _build_probe(**kwargs) -> Tuple[Optional[BaseException], List[warnings.WarningMessage]]:
    """Build ``MMDistributedDataParallel`` on a CPU module; the exception it stopped with and its warnings."""
    import torch
    from mmengine.model.wrappers import MMDistributedDataParallel
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            MMDistributedDataParallel(module=torch.nn.Linear(1, 1), process_group=_StandInProcessGroup(), **kwargs)
        except Exception as e:  # noqa: BLE001 - the stand-in group always stops the construction
            error = e
    return error, list(caught)


def cpu_device_ids_rejected() -> bool:
    """Whether ``MMDistributedDataParallel(cpu_module, device_ids=[0])`` raises on ``device_ids``."""
    error, _ = _build_probe(device_ids=[0])
    return isinstance(error, ValueError) and 'device_ids' in str(error)


def broadcast_buffers_deprecated() -> bool:
    """Whether ``MMDistributedDataParallel(..., broadcast_buffers=False)`` warns that the argument is deprecated."""
    _, caught = _build_probe(broadcast_buffers=False)
    return any(issubclass(w.category, FutureWarning) and 'broadcast_buffers' in str(w.message) for w in caught)


def detect() -> bool:
    """Whether either DDP argument problem shows here."""
    return cpu_device_ids_rejected() or broadcast_buffers_deprecated()


def apply() -> None:
    """Wrap ``MMDistributedDataParallel.__init__`` to fix both arguments (idempotent)."""
    from mmengine.model.wrappers import MMDistributedDataParallel
    from torch.nn.parallel import DistributedDataParallel
    if getattr(MMDistributedDataParallel.__init__, '_sugar_mm_patched', False):
        return
    rename_broadcast = 'forward_sync_buffers' in inspect.signature(DistributedDataParallel.__init__).parameters \
        and broadcast_buffers_deprecated()
    original = MMDistributedDataParallel.__init__

    @functools.wraps(original)
    def __init__(self, module: Any, detect_anomalous_params: bool = False, **kwargs) -> None:
        params = list(module.parameters())
        on_cpu = bool(params) and all(p.device.type == 'cpu' for p in params)
        if on_cpu and kwargs.get('device_ids') is not None:
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        if rename_broadcast and 'broadcast_buffers' in kwargs and 'forward_sync_buffers' not in kwargs:
            kwargs['forward_sync_buffers'] = kwargs.pop('broadcast_buffers')
        original(self, module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    __init__._sugar_mm_patched = True
    MMDistributedDataParallel.__init__ = __init__
