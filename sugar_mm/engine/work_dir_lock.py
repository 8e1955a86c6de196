"""One training per work dir: a lock file that names its holder, released on exit, recognised as stale.

Two trainings in one ``--work-dir`` overwrite each other's checkpoints and ``last_checkpoint`` and write one
log. ``tools/train.py`` holds :class:`WorkDirLock` for the whole run: ``{work_dir}/train.lock`` records the PID,
host, process start time, boot id and command of its holder. A second run refuses to start
(:class:`WorkDirLockedError` names the holder) unless the lock is stale:

* on the same host, a holder PID that is not running, or that now belongs to another process (its start time or
  the boot id differs), is stale: the lock is taken over with a warning;
* a lock from another host cannot be checked: the run refuses, and ``--break-lock`` takes it over.

The lock file is created atomically, fully written (a temporary file hard-linked into place), and removed on
exit only while it is still this run's (its token matches), so a run whose lock was broken leaves the new
holder's lock alone. ``kill -9`` leaves the file behind; the next run finds it stale.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import socket
import sys
import tempfile
import time
import uuid
from typing import Callable, Optional

LOCK_NAME = 'train.lock'


class WorkDirLockedError(RuntimeError):
    """Another live run holds the work dir's lock (the message names it and what to do)."""


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding='utf-8') as f:
            return f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _boot_id() -> Optional[str]:
    return _read_text('/proc/sys/kernel/random/boot_id')


def _start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), where there is one."""
    stat = _read_text(f'/proc/{pid}/stat')
    if not stat or ')' not in stat:
        return None
    fields = stat.rsplit(')', 1)[1].split()
    return fields[19] if len(fields) > 19 else None


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process
        return True
    except OSError:
        return False
    return True


def _describe(holder: dict) -> str:
    return (f'PID {holder.get("pid")} on host {holder.get("host")!r} (since {holder.get("started", "?")}, '
            f'command: {holder.get("command", "?")})')


class WorkDirLock:
    """``{work_dir}/train.lock`` for as long as the ``with`` block runs (see the module docstring).

    Args:
        work_dir (str): The run's work dir (made if missing).
        force (bool): Take the lock even when its holder may be alive (``tools/train.py --break-lock``).
        log (Callable[[str], None], optional): Where take-over warnings go; default ``stderr``.
    """

    def __init__(self, work_dir: str, force: bool = False, log: Optional[Callable[[str], None]] = None) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.force = force
        self.log = log or (lambda msg: print(msg, file=sys.stderr))
        self.token: Optional[str] = None

    def _record(self) -> dict:
        pid = os.getpid()
        return dict(pid=pid, host=socket.gethostname(), start_time=_start_time(pid), boot_id=_boot_id(),
                    started=time.strftime('%Y-%m-%d %H:%M:%S'), command=' '.join(sys.argv)[:300],
                    token=uuid.uuid4().hex)

    def _create(self) -> bool:
        """Create the lock file, fully written, only if there is none. True when it is ours."""
        record = self._record()
        fd, tmp = tempfile.mkstemp(prefix='.train.lock.', dir=self.work_dir)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                json.dump(record, f)
            os.link(tmp, self.path)  # atomic; fails when a lock exists
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        self.token = record['token']
        return True

    def holder(self) -> Optional[dict]:
        """The current lock's record (None when there is no lock; ``{}`` when it cannot be read)."""
        if not osp.lexists(self.path):
            return None
        text = _read_text(self.path)
        try:
            record = json.loads(text) if text else {}
        except ValueError:
            record = {}
        return record if isinstance(record, dict) else {}

    @staticmethod
    def stale_reason(holder: dict) -> Optional[str]:
        """Why ``holder`` is certainly dead, or None when it may be alive (or cannot be checked)."""
        if holder.get('host') != socket.gethostname():
            return None
        boot = _boot_id()
        if holder.get('boot_id') and boot and holder['boot_id'] != boot:
            return 'the machine rebooted since'
        try:
            pid = int(holder.get('pid'))
        except (TypeError, ValueError):
            return 'the lock file names no PID'
        if not _pid_running(pid):
            return f'PID {pid} is not running'
        started = holder.get('start_time')
        if started and _start_time(pid) not in (None, started):
            return f'PID {pid} is now another process'
        return None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`WorkDirLockedError` naming its live holder."""
        os.makedirs(self.work_dir, exist_ok=True)
        for _ in range(5):
            if self._create():
                return
            holder = self.holder()
            if holder is None:  # released meanwhile
                continue
            if not holder:  # unreadable: written by something else, or damaged
                reason = 'its content is not a lock record'
            else:
                reason = self.stale_reason(holder)
            if reason is None and not self.force:
                other_host = holder.get('host') != socket.gethostname()
                raise WorkDirLockedError(
                    f'{self.work_dir} is in use by another training: {self.path} is held by {_describe(holder)}. '
                    'Two runs in one work dir overwrite each other\'s checkpoints and log. Wait for it, or use '
                    'another --work-dir' + (
                        '; that host cannot be checked from here, so if that run is over, pass --break-lock'
                        if other_host else '; if that process is not a training of this work dir, pass '
                        '--break-lock') + '.')
            self._take_over(holder, reason or 'forced with --break-lock')
        raise WorkDirLockedError(f'{self.path}: could not take the lock (other runs keep taking it)')

    def _take_over(self, holder: dict, reason: str) -> None:
        """Replace a stale (or force-broken) lock, unless another run replaced it first."""
        moved = f'{self.path}.stale.{os.getpid()}'
        try:
            os.replace(self.path, moved)
        except FileNotFoundError:
            return
        if self.holder() is None and self._read_moved(moved) == holder:
            os.unlink(moved)
            self.log(f'{self.path}: took over the lock of {_describe(holder)}: {reason}')
        else:  # somebody else's fresh lock was moved: put it back (unless yet another one exists)
            try:
                os.link(moved, self.path)
            except FileExistsError:
                pass
            os.unlink(moved)

    @staticmethod
    def _read_moved(path: str) -> dict:
        text = _read_text(path)
        try:
            record = json.loads(text) if text else {}
        except ValueError:
            record = {}
        return record if isinstance(record, dict) else {}

    def release(self) -> None:
        """Remove the lock if it is still this run's."""
        if self.token is None:
            return
        holder = self.holder()
        if holder and holder.get('token') == self.token:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        elif holder is not None:
            self.log(f'{self.path}: left in place, another run took the lock over ({_describe(holder)})')
        self.token = None

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
