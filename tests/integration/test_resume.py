"""Fault tolerance: kill -9 during training, then --resume auto: the run continues from the last checkpoint and,
in deterministic mode, ends with exactly the metric of an uninterrupted run."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

from .helpers import REPO, loader_overrides, write_config, run_tool

TINY = '''
model = dict(backbone=dict(base_channels=8, num_stages=3, inflate_stages=[2], down_stages=[2]),
             cls_head=dict(in_channels=16))
train_cfg = dict(max_epochs=3, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3, save_best=None), logger=dict(interval=5))
'''


def final_metrics(log: str):
    vals = re.findall(r'Epoch\(val\) \[(\d+)\]\[\d+/\d+\]\s+acc/top1: ([0-9.]+)\s+acc/top5: ([0-9.]+)', log)
    assert vals, log[-2000:]
    return vals[-1]


def test_kill9_then_resume_auto_matches_uninterrupted_run(tmp_path, msr_pkl):
    cfg = write_config(tmp_path, 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py', TINY +
                       loader_overrides(msr_pkl))
    common = ['--seed', '0', '--deterministic']
    ref = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'ref')] + common)
    ref_final = final_metrics(ref.stdout + ref.stderr)
    assert ref_final[0] == '3'

    work = str(tmp_path / 'killed')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work] + common,
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.isfile(osp.join(work, 'epoch_1.pth')) or not osp.isfile(osp.join(work, 'last_checkpoint')):
        assert proc.poll() is None, 'training ended before it could be killed'
        assert time.time() < deadline, 'no checkpoint appeared'
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not osp.isfile(osp.join(work, 'epoch_3.pth'))

    resumed = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume', 'auto'] + common)
    log = resumed.stdout + resumed.stderr
    m = re.search(r'resumed epoch: (\d+)', log)
    assert m and int(m.group(1)) >= 1, log[-2000:]
    assert final_metrics(log) == ref_final
