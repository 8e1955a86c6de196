"""ExportEncoderHook (sugar_mm/engine/hooks.py) on a real (tiny) mmengine Runner; no training is run, the hook's
``after_train`` is called on the runner as the train loop would."""
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from sugar_mm.engine import ExportEncoderHook
from sugar_mm.registry import HOOKS, MODELS

GRAPH = dict(layout='kinect_v1', mode='spatial')


def tiny_model(seed=0, neck=True):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        return MODELS.build(dict(
            type='SugarRecognizer',
            backbone=dict(type='CTRGCN', graph_cfg=GRAPH, base_channels=4, num_stages=2),
            neck=dict(type='VQNeck', in_channels=4, num_codes=8) if neck else None,
            cls_head=dict(type='GCNHead', num_classes=5, in_channels=4)))


def make_runner(tmp_path, model, **kwargs):
    kwargs.setdefault('custom_hooks', [dict(type='ExportEncoderHook')])
    # a unique experiment name: mmengine keys its logger/visualizer instances by it
    return Runner(model=model, work_dir=str(tmp_path / 'work'), default_scope='sugar_mm',
                  experiment_name=f'export_hook_{tmp_path.name}', **kwargs)


def test_registered():
    hook = HOOKS.build(dict(type='ExportEncoderHook', filename='enc.pth'))
    assert isinstance(hook, ExportEncoderHook)
    assert hook.filename == 'enc.pth' and hook.source == 'last'
    with pytest.raises(ValueError, match='source'):
        ExportEncoderHook(source='first')


def _export_hook(runner):
    hooks = [h for h in runner.hooks if isinstance(h, ExportEncoderHook)]
    assert len(hooks) == 1
    return hooks[0]


def test_export_last_writes_encoder_only(tmp_path):
    model = tiny_model()
    runner = make_runner(tmp_path, model)
    _export_hook(runner).after_train(runner)
    path = osp.join(runner.work_dir, 'encoder.pth')
    assert osp.isfile(path)
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    state = ckpt['state_dict']
    assert state
    assert all(k.startswith(('backbone.', 'neck.')) for k in state)
    assert any(k.startswith('neck.') for k in state)
    expected = {k: v for k, v in model.state_dict().items() if k.startswith(('backbone.', 'neck.'))}
    assert set(state) == set(expected)
    for k, v in expected.items():
        torch.testing.assert_close(state[k], v, msg=k)
    assert not any(k.startswith('cls_head.') for k in state)
    assert 'epoch 0' in ckpt['meta']['source']


def test_exported_file_is_a_stage2_encoder_checkpoint(tmp_path):
    model = tiny_model(seed=0)
    runner = make_runner(tmp_path, model)
    _export_hook(runner).after_train(runner)
    path = osp.join(runner.work_dir, 'encoder.pth')
    torch.manual_seed(1)
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        stage2 = MODELS.build(dict(
            type='SugarRecognizer',
            backbone=dict(type='CTRGCN', graph_cfg=GRAPH, base_channels=4, num_stages=2),
            neck=dict(type='VQNeck', in_channels=4, num_codes=8),
            cls_head=dict(type='GCNHead', num_classes=5, in_channels=4),
            encoder_checkpoint=path, freeze_encoder=True))
    torch.testing.assert_close(stage2.backbone.gcn[1].gcn.PA, model.backbone.gcn[1].gcn.PA)
    torch.testing.assert_close(stage2.neck.quantizer.embed, model.neck.quantizer.embed)


def test_export_best_uses_the_best_checkpoint(tmp_path):
    model = tiny_model(seed=0, neck=False)
    runner = make_runner(tmp_path, model,
                         default_hooks=dict(checkpoint=dict(type='CheckpointHook', save_best='acc/top1')))
    hook = _export_hook(runner)
    hook.source = 'best'
    with pytest.raises(RuntimeError, match='save_best'):  # no best checkpoint recorded yet
        hook.after_train(runner)
    best_model = tiny_model(seed=5, neck=False)
    best = str(tmp_path / 'best_acc_top1_epoch_3.pth')
    torch.save(dict(state_dict=best_model.state_dict(), meta=dict(epoch=3)), best)
    ckpt_hook = [h for h in runner.hooks if type(h).__name__ == 'CheckpointHook'][0]
    ckpt_hook.best_ckpt_path = best
    hook.after_train(runner)
    out = torch.load(osp.join(runner.work_dir, 'encoder.pth'), map_location='cpu', weights_only=True)
    assert out['meta']['source'] == best
    assert set(out['state_dict']) == {k for k in best_model.state_dict() if k.startswith('backbone.')}
    key = 'backbone.gcn.0.gcn.convs.0.conv3.weight'
    torch.testing.assert_close(out['state_dict'][key], best_model.state_dict()[key])
    assert not torch.equal(out['state_dict'][key], model.state_dict()[key])


def test_custom_filename(tmp_path):
    model = tiny_model(neck=False)
    runner = make_runner(tmp_path, model, custom_hooks=[dict(type='ExportEncoderHook', filename='stage1_encoder.pth')])
    _export_hook(runner).after_train(runner)
    state = torch.load(osp.join(runner.work_dir, 'stage1_encoder.pth'), weights_only=True)['state_dict']
    assert state and all(k.startswith('backbone.') for k in state)


# ------------------------------------------------------------------------------------------ BridgeWarmupHook
class _Head(torch.nn.Module):
    def __init__(self, align=True):
        super().__init__()
        self.loss_align = torch.nn.Identity() if align else None
        self.align_only = False


def _warmup_runner(head, epoch=0, max_epochs=5):
    from types import SimpleNamespace
    from mmengine.logging import MMLogger
    model = torch.nn.Module()
    model.cls_head = head
    return SimpleNamespace(model=model, epoch=epoch, max_epochs=max_epochs,
                           logger=MMLogger.get_instance('bridge_warmup_test'))


def test_bridge_warmup_switches_align_only_by_epoch_and_resets_after_training():
    from sugar_mm.engine import BridgeWarmupHook
    hook = HOOKS.build(dict(type='BridgeWarmupHook', epochs=2))
    assert isinstance(hook, BridgeWarmupHook)
    head = _Head()
    runner = _warmup_runner(head)
    hook.before_train(runner)
    seen = []
    for epoch in range(5):  # also what a run resumed at any epoch sees: the mode follows runner.epoch
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        seen.append(head.align_only)
    assert seen == [True, True, False, False, False]
    runner.epoch = 1
    hook.before_train_epoch(runner)
    assert head.align_only
    hook.after_train(runner)
    assert not head.align_only


def test_bridge_warmup_rejects_what_cannot_work():
    from sugar_mm.engine import BridgeWarmupHook
    with pytest.raises(ValueError, match='epochs >= 1'):
        BridgeWarmupHook(epochs=0)
    with pytest.raises(ValueError, match='loss_align'):
        BridgeWarmupHook(epochs=1).before_train(_warmup_runner(_Head(align=False)))
    with pytest.raises(ValueError, match='leaves no epoch'):
        BridgeWarmupHook(epochs=5).before_train(_warmup_runner(_Head(), max_epochs=5))
    with pytest.raises(ValueError, match='leaves no epoch'):
        BridgeWarmupHook(epochs=6, bridge_only=True).before_train(_warmup_runner(_Head(), max_epochs=5))
    BridgeWarmupHook(epochs=5, bridge_only=True).before_train(_warmup_runner(_Head(), max_epochs=5))  # allowed
    runner = _warmup_runner(_Head())
    runner.model.cls_head = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='LLMHead'):
        BridgeWarmupHook(epochs=1).before_train(runner)
