"""mmengine checkpoints do not load under torch>=2.6's ``weights_only`` default.

Upstream bug (open-mmlab/mmengine#1655): mmengine's ``load_from_local`` calls ``torch.load`` without
``weights_only``; since torch 2.6 that means ``weights_only=True``, which rejects mmengine's own checkpoints
(``HistoryBuffer`` and numpy arrays in the message hub), so ``--resume`` and ``load_from`` fail.

Fix, without turning every load into an arbitrary-code pickle. A checkpoint is fully unpickled only when it is
*trusted*:

* it carries a valid signature of this user's sugar_mm runs (:mod:`sugar_mm.utils.checkpoint_signatures`:
  sugar_mm's ``CheckpointHook`` signs every checkpoint it writes; the signature covers the file's bytes and
  needs this user's secret key, so a file someone else wrote is never signed, wherever it lies);
* or it lies under a directory trusted with :func:`trust_checkpoint_dir` / :func:`trusted_checkpoint_dir`
  (programmatic use);
* or ``SUGAR_MM_TRUST_CHECKPOINTS=1`` (the tools' ``--trust-checkpoint``) trusts every checkpoint.

A run's ``work_dir`` grants nothing (``tools/test.py CFG /x/ckpt.pth --work-dir /x`` does not trust the file): an
output option never makes an input trusted. Everything else is loaded ``weights_only=True`` with a narrow
allow-list (:func:`safe_checkpoint_globals`: mmengine's ``HistoryBuffer`` and numpy array/scalar reconstruction),
which is enough for mmengine's own checkpoints; when a checkpoint needs more, :class:`UntrustedCheckpointError`
says what to do. A file that is empty, truncated or no checkpoint at all is a :class:`CheckpointFormatError`
naming it, whatever the trust.

Probe: :func:`detect` saves a tiny message-hub-like checkpoint and loads it through mmengine's
``CheckpointLoader`` (the loader registered for local paths, as ``load_from`` and ``--resume`` do). The file
lives in memory where the OS allows (a Linux ``memfd``, reached through ``/proc/self/fd``); a temporary file is
the fallback. Reading mmengine's loader instead would say nothing about what torch's default does with it.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import os
import os.path as osp
import threading
import warnings
from typing import Any, Iterator, List, Optional

NAME = 'mmengine-checkpoint-weights-only'


class UntrustedCheckpointError(RuntimeError):
    """An untrusted checkpoint (see the module docstring) needs more than weights-only unpickling."""


class CheckpointFormatError(ValueError):
    """A checkpoint file is empty, truncated, corrupt or not a PyTorch checkpoint; the message names it."""


#: The first bytes of what ``torch.save`` writes: a zip archive (torch >= 1.6) or a legacy pickle (protocol 2).
_CHECKPOINT_MAGIC = (b'PK\x03\x04', b'\x80')
#: Parts of torch's weights-only messages that mean "a global outside the allow-list", not a damaged file.
_UNTRUSTED_MARKERS = ('Unsupported global', 'add_safe_globals', 'allowlist', 'outside the weights-only allow-list')


_TRUST = threading.local()
_TRUSTED_DIRS: List[str] = []
_SAFE_GLOBALS: Optional[list] = None


def _history_buffer_getattr(obj: Any, name: Any) -> Any:
    """The ``getattr`` a weights-only load may call: only ``getattr(HistoryBuffer, <its public method>)``.

    A ``HistoryBuffer`` pickles its ``_statistics_methods`` (``HistoryBuffer.min``, ...), which pickle protocol 2
    (``torch.save``'s default) stores as ``getattr(HistoryBuffer, 'min')``; a general ``getattr`` would let a
    checkpoint reach arbitrary attributes, so any other call is refused.
    """
    import pickle
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) and not name.startswith('_') and \
            inspect.isfunction(vars(HistoryBuffer).get(name)):
        return vars(HistoryBuffer)[name]
    raise pickle.UnpicklingError(f'Unsupported global: getattr({getattr(obj, "__name__", type(obj).__name__)}, '
                                 f'{name!r}) is outside the weights-only allow-list')


def safe_checkpoint_globals() -> list:
    """Extra globals a weights-only load accepts (mmengine message-hub buffers, numpy arrays and scalars)."""
    global _SAFE_GLOBALS
    if _SAFE_GLOBALS is None:
        import numpy as np
        from mmengine.logging.history_buffer import HistoryBuffer
        out = [HistoryBuffer, np.ndarray, np.dtype, (_history_buffer_getattr, 'builtins.getattr')]
        try:  # numpy >= 1.25 / 2.x
            from numpy._core.multiarray import _reconstruct, scalar
        except ImportError:  # numpy < 2
            from numpy.core.multiarray import _reconstruct, scalar
        out += [_reconstruct, scalar]
        out += [type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64', 'int32', 'int8', 'uint8',
                                             'bool')]
        _SAFE_GLOBALS = out
    return _SAFE_GLOBALS


def trust_checkpoint_dir(path: str) -> None:
    """Trust checkpoints under ``path`` for the rest of the process (full unpickling)."""
    path = osp.realpath(osp.expanduser(path))
    if path not in _TRUSTED_DIRS:
        _TRUSTED_DIRS.append(path)


@contextlib.contextmanager
def trusted_checkpoint_dir(path: str) -> Iterator[None]:
    """Trust checkpoints under ``path`` inside the ``with`` block only (this thread)."""
    stack = getattr(_TRUST, 'stack', None)
    if stack is None:
        stack = _TRUST.stack = []
    stack.append(osp.realpath(osp.expanduser(path)))
    try:
        yield
    finally:
        stack.pop()


def is_trusted_checkpoint(filename: str) -> bool:
    """Whether ``filename`` may be fully unpickled (see the module docstring)."""
    if os.environ.get('SUGAR_MM_TRUST_CHECKPOINTS', '') in ('1', 'true', 'True', 'yes'):
        return True
    real = osp.realpath(osp.expanduser(filename))
    for d in list(_TRUSTED_DIRS) + list(getattr(_TRUST, 'stack', []) or []):
        if real == d or real.startswith(d.rstrip(os.sep) + os.sep):
            return True
    from sugar_mm.utils.checkpoint_signatures import is_signed_checkpoint
    return is_signed_checkpoint(real)


def check_checkpoint_file(filename: str) -> None:
    """Refuse, naming the file, what cannot be a PyTorch checkpoint (missing, empty, wrong first bytes).

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        CheckpointFormatError: it is empty or does not start as ``torch.save`` output does.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with open(filename, 'rb') as f:
        head = f.read(8)
    if not head:
        raise CheckpointFormatError(f'{filename}: empty file (0 bytes), not a checkpoint: its save was interrupted '
                                    'or it was copied incompletely')
    if not head.startswith(_CHECKPOINT_MAGIC):
        raise CheckpointFormatError(f'{filename}: not a PyTorch checkpoint (it starts with {head!r}; torch.save '
                                    'writes a zip archive, b"PK\\x03\\x04...", or a legacy pickle, b"\\x80...")')


def _format_error(filename: str, e: BaseException) -> CheckpointFormatError:
    detail = ' '.join(str(e).split())[:200] or type(e).__name__
    return CheckpointFormatError(f'{filename}: not a readable PyTorch checkpoint ({type(e).__name__}: {detail}); '
                                 'it is truncated or corrupt: save or copy it again')


def load_checkpoint_file(filename: str, map_location: Any = None) -> Any:
    """``torch.load`` with the trust policy of this module; mmengine's local loader once :func:`apply` ran.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        CheckpointFormatError: it is empty, truncated, corrupt or not a checkpoint.
        UntrustedCheckpointError: an untrusted checkpoint holds objects outside the allow-list.
    """
    import pickle

    import torch
    filename = osp.expanduser(filename)
    check_checkpoint_file(filename)
    if is_trusted_checkpoint(filename):
        try:
            return torch.load(filename, map_location=map_location, weights_only=False)
        except (EOFError, pickle.UnpicklingError, RuntimeError) as e:
            raise _format_error(filename, e) from e
    try:
        with torch.serialization.safe_globals(safe_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises UnpicklingError (or RuntimeError wrapping it)
        if not any(m in str(e) for m in _UNTRUSTED_MARKERS):
            if isinstance(e, (EOFError, pickle.UnpicklingError, RuntimeError)):
                raise _format_error(filename, e) from e
            raise
        detail = next((line.strip() for line in str(e).splitlines() if 'Unsupported global' in line),
                      str(e).splitlines()[0])
        raise UntrustedCheckpointError(
            f'{filename} was loaded weights-only because it is not trusted (no sugar_mm run of this user signed '
            f'it), and it holds objects outside the allow-list ({detail[:200]}). Unpickling it can run arbitrary '
            'code. If you trust the file, pass --trust-checkpoint to the tool (or set SUGAR_MM_TRUST_CHECKPOINTS=1, '
            'or call sugar_mm.compat.trust_checkpoint_dir(<its folder>)).') from e


@contextlib.contextmanager
def _probe_file(data: bytes) -> Iterator[str]:
    """A path whose content is ``data``: an in-memory file where the OS has one, else a temporary file."""
    fd = None
    if hasattr(os, 'memfd_create'):
        try:
            fd = os.memfd_create('sugar_mm_checkpoint_probe')
            os.write(fd, data)
        except OSError:
            fd = None
    if fd is not None and osp.isfile(f'/proc/self/fd/{fd}'):
        try:
            yield f'/proc/self/fd/{fd}'
        finally:
            os.close(fd)
        return
    if fd is not None:
        os.close(fd)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'probe.pth')
        with open(path, 'wb') as f:
            f.write(data)
        yield path


def detect() -> bool:
    """Whether mmengine's registered local loader rejects a checkpoint holding a ``HistoryBuffer``."""
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader
    buf = io.BytesIO()
    torch.save({'message_hub': {'log_scalars': {'loss': HistoryBuffer([1.0], [1])}}}, buf)
    with _probe_file(buf.getvalue()) as path, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:  # the dispatch `load_from` and `--resume` go through, to the loader registered for local paths
            loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu', logger='silent')
        except Exception:
            return True
    return not isinstance(loaded['message_hub']['log_scalars']['loss'], HistoryBuffer)


def load_from_local(filename: str, map_location: Any) -> Any:
    """Load a local checkpoint with sugar_mm's trust policy (mmengine's ``load_from_local``, replaced)."""
    return load_checkpoint_file(filename, map_location)


load_from_local._sugar_mm_policy = True


def apply() -> None:
    """Register :func:`load_from_local` for local paths (``load_from``, ``--resume``, ``load_checkpoint``)."""
    from mmengine.runner import checkpoint as ckpt_mod
    ckpt_mod.CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    ckpt_mod.load_from_local = load_from_local
