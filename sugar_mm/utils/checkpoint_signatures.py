"""Signatures of the checkpoints this user's sugar_mm runs wrote: the trust that lets a checkpoint be unpickled.

A checkpoint is a pickle, and unpickling it can run arbitrary code. sugar_mm fully unpickles only a checkpoint
it can show it wrote itself: after sugar_mm's :class:`~sugar_mm.engine.CheckpointHook` saves a checkpoint, it
records in ``checkpoint_signatures.json`` next to it an HMAC-SHA256 of the file's SHA-256 and name, keyed by a
secret only this user can read (``$SUGAR_MM_KEY_FILE``, default ``~/.config/sugar_mm/checkpoint_signing_key``,
mode 0600, made on first use; the scheme of Jupyter's notebook trust). Loading verifies the signature against
the file's bytes: a copied, renamed or edited file, or a signatures file written without the key, is not
trusted. Where a checkpoint lies (a run's ``--work-dir``, say) plays no part.

Deleting the key only makes earlier checkpoints untrusted: they still load weights-only (tensors, numbers and
the few objects of :func:`sugar_mm.compat.checkpoint_loading.safe_checkpoint_globals`).

A ground module: it imports nothing of sugar_mm.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import os.path as osp
import tempfile
from typing import Optional

__all__ = ['SIGNATURES_FILE', 'key_file', 'sign_checkpoint', 'forget_checkpoint', 'is_signed_checkpoint']

#: The file, in a checkpoint's folder, that holds the signatures of that folder's checkpoints.
SIGNATURES_FILE = 'checkpoint_signatures.json'
_CONTEXT = b'sugar_mm checkpoint signature v1\n'


def key_file() -> str:
    """Where this user's signing key lives (``$SUGAR_MM_KEY_FILE`` or ``~/.config/sugar_mm/...``)."""
    path = os.environ.get('SUGAR_MM_KEY_FILE')
    if path:
        return osp.expanduser(path)
    config = os.environ.get('XDG_CONFIG_HOME') or osp.join(osp.expanduser('~'), '.config')
    return osp.join(config, 'sugar_mm', 'checkpoint_signing_key')


def _read_key() -> Optional[bytes]:
    try:
        with open(key_file(), 'rb') as f:
            key = f.read()
    except OSError:
        return None
    return key if len(key) >= 32 else None


def _key(create: bool) -> Optional[bytes]:
    """The key; with ``create``, made (32 random bytes, 0600) when there is none. None when unavailable."""
    key = _read_key()
    if key is not None or not create:
        return key
    path = key_file()
    try:
        os.makedirs(osp.dirname(path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.key.', dir=osp.dirname(path))  # 0600
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(os.urandom(32))
            os.link(tmp, path)  # atomic, and never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError:
        return None
    return _read_key()


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _mac(key: bytes, name: str, sha256: str) -> str:
    return hmac.new(key, _CONTEXT + name.encode('utf-8') + b'\n' + sha256.encode('ascii'), 'sha256').hexdigest()


def _signatures_path(checkpoint: str) -> str:
    return osp.join(osp.dirname(osp.realpath(checkpoint)), SIGNATURES_FILE)


def _read_signatures(path: str) -> dict:
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        sigs = data.get('signatures') if isinstance(data, dict) else None
        return dict(sigs) if isinstance(sigs, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_signatures(path: str, signatures: dict) -> None:
    from .io import atomic_write_text
    about = ('HMAC-SHA256 signatures of the checkpoints sugar_mm wrote in this folder, keyed by the writing '
             'user\'s secret (sugar_mm.utils.checkpoint_signatures); a signed checkpoint is fully unpickled when '
             'that user loads it, any other loads weights-only.')
    atomic_write_text(path, json.dumps(dict(about=about, signatures=signatures), indent=1, sort_keys=True) + '\n')


def sign_checkpoint(checkpoint: str) -> bool:
    """Record ``checkpoint`` (a local file this process just wrote) as written by this user's sugar_mm.

    Entries of files that no longer exist are dropped. Returns False (and signs nothing) when no key can be
    read or made.
    """
    key = _key(create=True)
    if key is None:
        return False
    name = osp.basename(osp.realpath(checkpoint))
    path = _signatures_path(checkpoint)
    folder = osp.dirname(path)
    sigs = {n: s for n, s in _read_signatures(path).items() if osp.isfile(osp.join(folder, n)) and n != name}
    sha = _file_sha256(checkpoint)
    sigs[name] = dict(sha256=sha, hmac=_mac(key, name, sha))
    _write_signatures(path, sigs)
    return True


def forget_checkpoint(checkpoint: str) -> None:
    """Drop the signature of ``checkpoint`` (removed by checkpoint rotation)."""
    path = _signatures_path(checkpoint)
    sigs = _read_signatures(path)
    if sigs.pop(osp.basename(osp.realpath(checkpoint)), None) is not None:
        _write_signatures(path, sigs)


def is_signed_checkpoint(checkpoint: str) -> bool:
    """Whether ``checkpoint``'s bytes carry a valid signature of this user's key (see the module docstring)."""
    key = _key(create=False)
    if key is None or not osp.isfile(checkpoint):
        return False
    name = osp.basename(osp.realpath(checkpoint))
    entry = _read_signatures(_signatures_path(checkpoint)).get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get('hmac'), str):
        return False
    sha = _file_sha256(checkpoint)
    return hmac.compare_digest(entry['hmac'], _mac(key, name, sha))
