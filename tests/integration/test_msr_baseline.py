"""The foundation end to end: convert the real MSR Action3D, train mmaction's ST-GCN briefly through our tools,
test with --dump; and the same through tools/dist_train.sh with two CPU processes."""
import os.path as osp
import pickle

import pytest

from .helpers import free_port, loader_overrides, run_tool, write_config

STGCN_CONFIG = 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py'

TINY_STGCN = '''
model = dict(backbone=dict(base_channels=8, num_stages=3, inflate_stages=[2], down_stages=[2]),
             cls_head=dict(in_channels=16))
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=5))
'''


@pytest.fixture(scope='module')
def converted(tmp_path_factory, msr_raw):
    out = str(tmp_path_factory.mktemp('msr_cli') / 'msr.pkl')
    proc = run_tool(['tools/data/msr_action3d.py', msr_raw, out])
    assert 'excluded a13_s09_e02: all joints are zero' in proc.stdout
    assert 'xsub_train 284, xsub_val 273' in proc.stdout
    return out


def test_train_and_test_stgcn_on_msr(tmp_path, converted):
    cfg = write_config(tmp_path, STGCN_CONFIG, TINY_STGCN + loader_overrides(converted))
    work = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--seed', '0'])
    log = proc.stdout + proc.stderr
    assert 'Epoch(val) [1][' in log and 'acc/top1' in log
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    dump = str(tmp_path / 'results.pkl')
    proc = run_tool(['tools/test.py', cfg, ckpt, '--work-dir', work, '--dump', dump])
    assert 'acc/top1' in proc.stdout + proc.stderr
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 273
    assert {'frame_dir', 'pred_score', 'gt_label'} <= set(results[0])
    assert results[0]['pred_score'].shape == (20, )
    assert all(r['frame_dir'].startswith('a') for r in results)


def test_dist_train_two_cpu_processes(tmp_path, converted):
    cfg = write_config(tmp_path, STGCN_CONFIG, TINY_STGCN + loader_overrides(converted))
    work = str(tmp_path / 'work')
    proc = run_tool(['tools/dist_train.sh', cfg, '2', '--work-dir', work, '--seed', '0', '--no-validate',
                     '--cfg-options', 'default_hooks.logger.interval=1'], env=dict(PORT=str(free_port())))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    # 284 training sequences over 2 ranks at batch 16: 9 iterations per rank (18 on one process)
    assert 'Epoch(train) [1][9/9]' in log and '[1][18/18]' not in log
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
