"""Atomic file writes: a crash or a full disk during a save never leaves a half-written file in place."""
from __future__ import annotations

import os
import os.path as osp
import pickle
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator

# The process umask, for the permissions of atomically written files (``mkstemp`` makes 0600 files). Python reads
# the umask only by setting it, so it is set to 0 and back at once, here, once per process (listed in
# sugar_mm.compat's docstring with the other process-wide state sugar_mm touches).
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_open(path: str, mode: str = 'wb', **kwargs) -> Iterator[Any]:
    """Open a temporary file next to ``path``; on success it is fsynced and renamed over ``path``.

    On any error the temporary file is removed, the previous ``path`` (if any) is untouched, and the error is
    re-raised with the target path named.
    """
    if 'w' not in mode:
        raise ValueError(f'atomic_open only writes, got mode {mode!r}')
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=directory)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions of a new file
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OSError(e.errno, f'could not write {path} ({e.strerror}); '
                          f'the previous file, if any, is unchanged') from e
        raise


def atomic_write_text(path: str, text: str) -> None:
    with atomic_open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def atomic_pickle_dump(obj: Any, path: str) -> None:
    with atomic_open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
