"""sugar_mm's ``CheckpointHook``: a failed save never loses the last checkpoint, and what it writes is signed.

Tiny mmengine Runners (a linear model, 4 samples) in sugar_mm's scope, where ``type='CheckpointHook'`` is ours.
A directory in the way of the next checkpoint makes its save fail as a full disk would (the atomic write's
rename fails; the previous files stay).
"""
import itertools
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric

from sugar_mm.engine import CheckpointHook
from sugar_mm.utils.checkpoint_signatures import SIGNATURES_FILE, is_signed_checkpoint


class _EpochScore(BaseMetric):
    """A validation "score" that improves every epoch (so every epoch is a new best)."""

    default_prefix = ''

    def __init__(self):
        super().__init__()
        self.calls = 0

    def process(self, data_batch, data_samples):
        self.results.append(1)

    def compute_metrics(self, results):
        self.calls += 1
        return dict(score=float(self.calls))


_NAMES = itertools.count()


def _runner(work_dir, max_epochs, checkpoint, resume=False, validate=False):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Tiny(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.linear(inputs)
            if mode == 'loss':
                return dict(loss=out.pow(2).mean())
            return [dict() for _ in range(len(out))] if mode == 'predict' else out

    torch.manual_seed(0)
    data = [dict(inputs=torch.full((2, ), float(i))) for i in range(4)]
    loader = dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False), batch_size=2,
                  collate_fn=dict(type='default_collate'), num_workers=0)
    val = dict(val_dataloader=loader, val_cfg=dict(), val_evaluator=[_EpochScore()]) if validate else {}
    return Runner(model=Tiny(), work_dir=str(work_dir), train_dataloader=loader,
                  optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                  train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
                  default_hooks=dict(checkpoint=dict(type='CheckpointHook', **checkpoint), logger=None),
                  default_scope='sugar_mm', log_level='ERROR', resume=resume,
                  experiment_name=f'checkpoint_hook_{next(_NAMES)}', **val)


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def test_the_scope_builds_sugar_mm_hook(tmp_path):
    runner = _runner(tmp_path, 1, dict(interval=1))
    hooks = [h for h in runner.hooks if 'CheckpointHook' in type(h).__name__]
    assert len(hooks) == 1 and isinstance(hooks[0], CheckpointHook)


def test_failed_save_keeps_the_only_checkpoint_and_resume_auto_works(tmp_path):
    """The issue's case: max_keep_ckpts=1, the epoch-2 save fails. mmengine removed epoch_1.pth first."""
    work = str(tmp_path)
    os.makedirs(osp.join(work, 'epoch_2.pth'))  # in the way of the epoch-2 save
    runner = _runner(work, 3, dict(interval=1, max_keep_ckpts=1))
    with pytest.raises(OSError, match=r'could not write .*epoch_2\.pth'):
        runner.train()
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))  # not removed before the new one was written
    assert _last_checkpoint(work) == osp.join(work, 'epoch_1.pth') and osp.isfile(_last_checkpoint(work))
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    assert list(hook.keep_ckpt_ids) == [1] and hook.last_ckpt == osp.join(work, 'epoch_1.pth')  # restored
    assert not [f for f in os.listdir(work) if f.endswith('.tmp')]  # no temporary file left

    os.rmdir(osp.join(work, 'epoch_2.pth'))  # the disk has room again: --resume auto continues from epoch 1
    resumed = _runner(work, 3, dict(interval=1, max_keep_ckpts=1), resume=True)
    resumed.train()
    assert resumed.train_loop.epoch == 3
    pths = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert pths == ['epoch_3.pth']  # rotation still keeps one, after each save
    assert _last_checkpoint(work) == osp.join(work, 'epoch_3.pth')


def test_failed_best_save_keeps_the_previous_best(tmp_path):
    work = str(tmp_path)
    os.makedirs(osp.join(work, 'best_score_epoch_2.pth'))
    runner = _runner(work, 3, dict(interval=1, max_keep_ckpts=1, save_best='score', rule='greater'),
                     validate=True)
    with pytest.raises(OSError, match=r'best_score_epoch_2\.pth'):
        runner.train()
    assert osp.isfile(osp.join(work, 'best_score_epoch_1.pth'))  # mmengine removed it before saving the new one
    assert osp.isfile(_last_checkpoint(work))


def test_rotation_and_best_still_remove_old_files(tmp_path):
    work = str(tmp_path)
    runner = _runner(work, 3, dict(interval=1, max_keep_ckpts=2, save_best='score', rule='greater'),
                     validate=True)
    runner.train()
    pths = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert pths == ['best_score_epoch_3.pth', 'epoch_2.pth', 'epoch_3.pth']
    assert _last_checkpoint(work) == osp.join(work, 'epoch_3.pth')


def test_every_checkpoint_written_is_signed_and_removed_ones_forgotten(tmp_path):
    import json
    work = str(tmp_path)
    _runner(work, 3, dict(interval=1, max_keep_ckpts=1, save_best='score', rule='greater'), validate=True).train()
    for name in ('epoch_3.pth', 'best_score_epoch_3.pth'):
        assert is_signed_checkpoint(osp.join(work, name))
    with open(osp.join(work, SIGNATURES_FILE)) as f:
        assert sorted(json.load(f)['signatures']) == ['best_score_epoch_3.pth', 'epoch_3.pth']
