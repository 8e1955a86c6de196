"""Atomic local writes for everything mmengine saves (checkpoints, dumps, json/pkl results).

mmengine's ``LocalBackend.put`` opens the destination and writes into it: a crash, ``kill -9`` or a full disk
during a save leaves a truncated checkpoint in place of the previous one. This module registers a
``LocalBackend`` whose ``put``/``put_text`` write a temporary file next to the destination, fsync it and rename
it over the destination (:func:`sugar_mm.utils.io.atomic_open`): the previous file survives any failure, and the
error names the file. Applied on ``import sugar_mm``; other backends (``s3://``, ...) are untouched.

Upstream state this changes (a feature, not an upstream bug, so it is not one of :mod:`sugar_mm.compat`'s fixes;
its docstring lists it): mmengine's backend registered for local paths (``register_backend(..., force=True)``),
and mmengine's cache of backend instances, ``mmengine.fileio.io.backend_instances``, from which the plain
``LocalBackend`` instances built before this import are dropped so that later ``fileio`` calls build the atomic
one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

from mmengine.fileio import io as mmengine_io
from mmengine.fileio.backends import LocalBackend, register_backend

from sugar_mm.utils.io import atomic_open


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with atomic ``put`` / ``put_text`` (temporary file + fsync + rename)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        with atomic_open(str(filepath), 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        with atomic_open(str(filepath), 'w', encoding=encoding) as f:
            f.write(obj)


def install() -> None:
    """Make ``AtomicLocalBackend`` mmengine's backend for local paths (idempotent)."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key in [k for k, v in mmengine_io.backend_instances.items() if type(v) is LocalBackend]:
        del mmengine_io.backend_instances[key]  # cached plain instances


install()
