"""One training per work dir: ``train.lock`` names its holder, is released on exit, and is stale after a crash."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

from sugar_mm.engine.work_dir_lock import LOCK_NAME, WorkDirLock, WorkDirLockedError
from tests.integration.helpers import REPO, run_tool


def _dead_pid():
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def _write_lock(work, **record):
    os.makedirs(work, exist_ok=True)
    with open(osp.join(work, LOCK_NAME), 'w') as f:
        json.dump(dict(dict(host=socket.gethostname(), started='2025-01-01 00:00:00', command='tools/train.py x',
                            token='other'), **record), f)


def test_second_run_refused_naming_the_holder_and_lock_released(tmp_path):
    work = str(tmp_path / 'w')
    messages = []
    with WorkDirLock(work, log=messages.append) as first:
        holder = first.holder()
        assert holder['pid'] == os.getpid() and holder['host'] == socket.gethostname()
        with pytest.raises(WorkDirLockedError) as info:
            WorkDirLock(work).acquire()
        msg = str(info.value)
        assert f'PID {os.getpid()}' in msg and socket.gethostname() in msg and osp.join(work, LOCK_NAME) in msg
        assert '--break-lock' in msg
    assert not osp.exists(osp.join(work, LOCK_NAME))  # released on exit
    assert not [f for f in os.listdir(work) if f.startswith('.train.lock')]  # no temporary file left
    with WorkDirLock(work):  # free again
        pass


def test_released_when_the_run_raises(tmp_path):
    work = str(tmp_path)
    with pytest.raises(KeyError):
        with WorkDirLock(work):
            raise KeyError('training failed')
    assert not osp.exists(osp.join(work, LOCK_NAME))


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    work = str(tmp_path)
    pid = _dead_pid()
    _write_lock(work, pid=pid)
    messages = []
    with WorkDirLock(work, log=messages.append) as lock:
        assert lock.holder()['pid'] == os.getpid()
    assert len(messages) == 1 and f'PID {pid}' in messages[0] and 'is not running' in messages[0]


def test_reused_pid_is_stale(tmp_path):
    """The PID runs, but it is another process than the one that took the lock (a different start time)."""
    work = str(tmp_path)
    _write_lock(work, pid=os.getpid(), start_time='1')
    messages = []
    with WorkDirLock(work, log=messages.append):
        pass
    assert 'is now another process' in messages[0]


def test_lock_of_another_host_needs_break_lock(tmp_path):
    work = str(tmp_path)
    _write_lock(work, pid=1, host='gpu-node-7')
    with pytest.raises(WorkDirLockedError, match=r"PID 1 on host 'gpu-node-7'.*cannot be checked.*--break-lock"):
        WorkDirLock(work).acquire()
    messages = []
    with WorkDirLock(work, force=True, log=messages.append) as lock:
        assert lock.holder()['host'] == socket.gethostname()
    assert 'forced with --break-lock' in messages[0]


def test_a_broken_lock_is_left_to_its_new_holder(tmp_path):
    work = str(tmp_path)
    messages = []
    first = WorkDirLock(work, log=messages.append)
    first.acquire()
    with WorkDirLock(work, force=True):
        first.release()  # the first run ends while the second holds the lock
        assert osp.exists(osp.join(work, LOCK_NAME))
    assert 'another run took the lock over' in messages[0]


def test_train_tool_refuses_a_locked_work_dir(tmp_path):
    """tools/train.py exits before building anything when a live run holds the work dir."""
    work = str(tmp_path / 'work')
    holder = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
    try:
        _write_lock(work, pid=holder.pid)
        proc = run_tool(['tools/train.py', osp.join(REPO, 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py'),
                         '--work-dir', work], check=False, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode != 0
    assert 'is in use by another training' in proc.stderr and f'PID {holder.pid}' in proc.stderr
    assert os.listdir(work) == [LOCK_NAME]  # no log folder, no checkpoint
