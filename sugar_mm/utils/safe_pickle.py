"""A restricted unpickler for skeleton-data pickles: containers, numbers, strings and numpy arrays only.

``pickle.load`` calls whatever a file names, so a crafted "dataset" can run arbitrary code when it is loaded.
The PoseDataset format (mmaction's and the files ``tools/data/*`` write) is a pickle of dicts, lists, tuples,
strings, numbers and numpy arrays; :class:`RestrictedUnpickler` resolves exactly the globals those need and
refuses every other one with :class:`UnsafePickleError`, before anything of it runs:

* numpy's array and scalar reconstruction (``numpy.ndarray``, ``numpy.dtype``, ``_reconstruct``, ``scalar``,
  ``_frombuffer``; both the numpy 1.x ``numpy.core`` and the 2.x ``numpy._core`` spellings);
* containers pickle protocol 2 spells as globals (``set``, ``frozenset``, ``bytearray``, ``complex``,
  ``collections.OrderedDict``), and ``_codecs.encode`` for the ``latin1`` encoding only (protocol 2's form of
  ``bytes``).

Full unpickling stays available behind an explicit opt-in (``trusted=True`` here; ``trust_pickle=True`` on
:class:`~sugar_mm.datasets.SkeletonDataset`, ``--trust-pickle`` on ``tools/infer.py``).

A ground module: it imports nothing of sugar_mm.
"""
from __future__ import annotations

import codecs
import collections
import pickle
from typing import Any, Callable, Dict, Tuple

import numpy as np

__all__ = ['UnsafePickleError', 'RestrictedUnpickler', 'load_pickle', 'safe_pickle_globals']


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names a global outside the allow-list (:func:`safe_pickle_globals`); nothing of it ran.

    Attributes:
        global_name (str): The refused global, ``module.name``.
    """

    def __init__(self, message: str, global_name: str) -> None:
        super().__init__(message)
        self.global_name = global_name


def _latin1_encode(obj: Any, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
    """``_codecs.encode`` as pickle protocol 2 uses it for ``bytes`` (``encode(text, 'latin1')``), nothing else."""
    spelled = str(encoding).lower().replace('-', '').replace('_', '')
    if spelled not in ('latin1', 'iso88591') or errors != 'strict' or not isinstance(obj, str):
        raise UnsafePickleError(f'_codecs.encode({type(obj).__name__}, {encoding!r}, {errors!r}) is outside the '
                                'allow-list (only protocol 2\'s latin1 form of bytes is)', '_codecs.encode')
    return codecs.encode(obj, 'latin1')


def _numpy_functions() -> Dict[str, Callable]:
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
        from numpy.core.numeric import _frombuffer
    return dict(_reconstruct=_reconstruct, scalar=scalar, _frombuffer=_frombuffer)


_SAFE: Dict[Tuple[str, str], Any] = {}


def safe_pickle_globals() -> Dict[Tuple[str, str], Any]:
    """``{(module, name): object}``: every global :class:`RestrictedUnpickler` resolves."""
    if not _SAFE:
        fn = _numpy_functions()
        out = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
               ('collections', 'OrderedDict'): collections.OrderedDict, ('_codecs', 'encode'): _latin1_encode}
        for core in ('numpy._core', 'numpy.core'):  # files written by numpy 2.x and by numpy 1.x
            out[(f'{core}.multiarray', '_reconstruct')] = fn['_reconstruct']
            out[(f'{core}.multiarray', 'scalar')] = fn['scalar']
            out[(f'{core}.numeric', '_frombuffer')] = fn['_frombuffer']
        for builtins in ('builtins', '__builtin__'):  # protocol 2 keeps Python 2's module name
            for t in (set, frozenset, bytearray, complex):
                out[(builtins, t.__name__)] = t
        _SAFE.update(out)
    return _SAFE


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only :func:`safe_pickle_globals` (no persistent ids)."""

    def find_class(self, module: str, name: str) -> Any:
        obj = safe_pickle_globals().get((module, name))
        if obj is None:
            raise UnsafePickleError(f'refused global {module}.{name}', f'{module}.{name}')
        return obj


def load_pickle(path: str, trusted: bool = False, opt_in: str = 'trusted=True') -> Any:
    """Unpickle ``path``: restricted (:class:`RestrictedUnpickler`) unless ``trusted``.

    Args:
        path (str): The file.
        trusted (bool): Fully unpickle (only for files you trust: unpickling can run arbitrary code).
        opt_in (str): How the caller's user turns ``trusted`` on, for the error message.

    Raises:
        UnsafePickleError: the file names a global outside the allow-list; the message names the file, the
            global and ``opt_in``. Nothing of the file ran.
        OSError, EOFError, pickle.UnpicklingError, ...: as ``pickle.load`` (the caller names the file).
    """
    try:
        with open(path, 'rb') as f:
            return pickle.load(f) if trusted else RestrictedUnpickler(f).load()
    except UnsafePickleError as e:
        detail = '' if str(e) == f'refused global {e.global_name}' else f' ({e})'
        raise UnsafePickleError(
            f'{path}: refused to unpickle the global {e.global_name}{detail}: a skeleton pickle holds only dicts, '
            'lists, tuples, strings, numbers and numpy arrays, and loading anything else can run arbitrary code. '
            f'If you trust this file, load it with {opt_in}.', e.global_name) from None
