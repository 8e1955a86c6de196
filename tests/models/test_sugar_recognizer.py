"""SugarRecognizer (sugar_mm/models/recognizers/sugar_recognizer.py): tiny CTRGCN over kinect_v1 (20 joints)."""
import logging

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from tests.conftest import tiny_text_encoder_cfg
from sugar_mm.models.recognizers.sugar_recognizer import EncoderCheckpointMissing, SugarRecognizer
from sugar_mm.registry import MODELS

GRAPH = dict(layout='kinect_v1', mode='spatial')
T = 8


def backbone_cfg(**kwargs):
    cfg = dict(type='CTRGCN', graph_cfg=GRAPH, base_channels=8, num_stages=3)
    cfg.update(kwargs)
    return cfg


def head_cfg(text_cache, **kwargs):
    cfg = dict(type='KnowledgeContrastHead', in_channels=8, text_encoder=tiny_text_encoder_cfg(),
               knowledge='msr_action3d', class_names='msr_action3d', text_cache_dir=text_cache)
    cfg.update(kwargs)
    return cfg


def gcn_head(in_channels=8):
    """mmaction's plain GCN head: for the tests about the encoder only (no text bank needed)."""
    return dict(type='GCNHead', num_classes=20, in_channels=in_channels)


def build(text_cache=None, **kwargs):
    cfg = dict(type='SugarRecognizer', backbone=backbone_cfg(),
               cls_head=head_cfg(text_cache) if text_cache else gcn_head())
    cfg.update(kwargs)
    return MODELS.build(cfg)


def inputs(b=2, clips=1, m=2, t=T, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, clips, m, t, 20, 3, generator=g)


def samples(labels):
    out = []
    for lbl in labels:
        ds = ActionDataSample()
        ds.set_gt_label(int(lbl))
        out.append(ds)
    return out


def save_encoder(path, model, neck=False):
    prefixes = ('backbone.', 'neck.') if neck else ('backbone.', )
    state = {k: v.clone() for k, v in model.state_dict().items() if k.startswith(prefixes)}
    torch.save(dict(state_dict=state), path)
    return state


@pytest.fixture(autouse=True)
def sugar_mm_scope():
    """As in every config (``default_scope='sugar_mm'``): mmaction's GCNHead and data preprocessor resolve too."""
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        yield


# ---------------------------------------------------------------------------------------------------------
def test_built_from_config(text_cache):
    model = build(text_cache)
    assert isinstance(model, SugarRecognizer)
    assert type(model.backbone).__name__ == 'CTRGCN'
    assert type(model.cls_head).__name__ == 'KnowledgeContrastHead'
    assert model.keep_temporal_resolution
    assert model.backbone.down_stages == ()
    assert type(model.data_preprocessor).__name__ == 'ActionDataPreprocessor'


@pytest.mark.parametrize('bb', [
    backbone_cfg(down_stages=[2]),
    dict(type='STGCN', graph_cfg=GRAPH, base_channels=8, num_stages=3, inflate_stages=[], down_stages=[2]),
    dict(type='AAGCN', graph_cfg=GRAPH, base_channels=8, num_stages=3, inflate_stages=[], down_stages=[2]),
])
@pytest.mark.parametrize('keep', [True, False])
def test_keep_temporal_resolution(bb, keep):
    torch.manual_seed(0)
    model = build(backbone=bb, keep_temporal_resolution=keep).eval()
    x = inputs(t=16)
    with torch.no_grad():
        feats, _ = model.extract_feat(x, stage='backbone')
    assert feats.shape == (2, 2, 8, 16 if keep else 8, 20)


def test_backbone_without_down_stages_raises():
    bb = dict(type='ResNet', depth=18)
    with pytest.raises(ValueError, match='down_stages'):
        build(backbone=bb)
    with pytest.raises(KeyError, match='NoSuchBackbone'):
        build(backbone=dict(type='NoSuchBackbone'))


def test_loss_mode_keys_and_encoder_gradients(text_cache):
    torch.manual_seed(0)
    model = build(text_cache).train()
    losses = model(inputs(b=4), samples([0, 1, 2, 3]), mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {'loss_milnce'}
    assert 'top1_acc' in losses
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    grads = {n: p.grad for n, p in model.backbone.named_parameters()}
    assert all(g is not None for g in grads.values())
    assert grads['data_bn.weight'].abs().sum() > 0
    assert grads['gcn.0.gcn.convs.0.conv3.weight'].abs().sum() > 0
    assert model.cls_head.proj.weight.grad.abs().sum() > 0


def test_loss_merges_neck_aux(text_cache):
    torch.manual_seed(0)
    model = build(text_cache, neck=dict(type='VQNeck', in_channels=8, num_codes=16)).train()
    losses = model(inputs(b=4), samples([0, 1, 2, 3]), mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {'loss_milnce', 'loss_vq'}
    assert {'vq_usage', 'vq_perplexity', 'top1_acc'} <= set(losses)
    assert losses['loss_vq'].requires_grad
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # the head loss flows through the straight-through estimator into the encoder
    assert model.backbone.data_bn.weight.grad.abs().sum() > 0


def test_predict_averages_clips(text_cache):
    torch.manual_seed(0)
    model = build(text_cache).eval()
    x = inputs(b=2, clips=3)
    with torch.no_grad():
        out = model(x, samples([0, 1]), mode='predict')
        per_clip = model.cls_head(model.backbone(x.reshape((6, ) + x.shape[2:])))
    expected = per_clip.softmax(-1).view(2, 3, 20).mean(1)
    assert len(out) == 2
    for ds, exp in zip(out, expected):
        assert ds.pred_score.shape == (20, )
        torch.testing.assert_close(ds.pred_score, exp)
        assert ds.pred_score.sum().item() == pytest.approx(1, abs=1e-5)
    assert not torch.allclose(expected[0], per_clip[0].softmax(-1))


def test_data_preprocessor_path(text_cache):
    """The default preprocessor stacks skeleton clips as they come from the pipeline (no normalisation)."""
    torch.manual_seed(0)
    model = build(text_cache).eval()
    x = inputs(b=2, clips=2)
    data = model.data_preprocessor(dict(inputs=list(x), data_samples=samples([3, 4])), training=False)
    torch.testing.assert_close(data['inputs'], x)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].pred_score.shape == (20, )


def test_encoder_checkpoint_loads_backbone(tmp_path):
    torch.manual_seed(0)
    src = build()
    path = str(tmp_path / 'stage1.pth')
    state = save_encoder(path, src)
    torch.manual_seed(1)
    model = build(encoder_checkpoint=path)
    for k, v in model.backbone.state_dict().items():
        torch.testing.assert_close(v, state['backbone.' + k], msg=k)
    # a fresh model (no checkpoint) differs, so the load did something
    torch.manual_seed(1)
    fresh = build()
    assert not torch.equal(fresh.backbone.gcn[0].gcn.convs[0].conv3.weight,
                           model.backbone.gcn[0].gcn.convs[0].conv3.weight)


def test_encoder_checkpoint_loads_neck(tmp_path):
    torch.manual_seed(0)
    neck = dict(type='VQNeck', in_channels=8, num_codes=8, code_dim=4)
    src = build(neck=neck)
    path = str(tmp_path / 'stage1.pth')
    state = save_encoder(path, src, neck=True)
    torch.manual_seed(1)
    model = build(neck=neck, encoder_checkpoint=path)
    torch.testing.assert_close(model.neck.proj_in.weight, state['neck.proj_in.weight'])


def test_encoder_checkpoint_and_config_must_agree_on_the_neck(tmp_path):
    neck = dict(type='VQNeck', in_channels=8, num_codes=8, code_dim=4)
    plain, with_neck = str(tmp_path / 'plain.pth'), str(tmp_path / 'vq.pth')
    save_encoder(plain, build())
    save_encoder(with_neck, build(neck=neck), neck=True)
    with pytest.raises(KeyError, match='no "neck.\\*" weights but this config has a neck'):
        build(neck=neck, encoder_checkpoint=plain)
    with pytest.raises(KeyError, match='holds a neck'):
        build(encoder_checkpoint=with_neck)


def test_missing_encoder_checkpoint_raises_with_hint(tmp_path):
    hint = 'python tools/train.py configs/sugar/stage1_msr.py'
    path = str(tmp_path / 'nope' / 'encoder.pth')
    with pytest.raises(EncoderCheckpointMissing) as e:
        build(encoder_checkpoint=path, encoder_checkpoint_hint=hint)
    assert hint in str(e.value) and path in str(e.value)
    assert isinstance(e.value, FileNotFoundError)


def test_encoder_checkpoint_of_another_encoder_raises(tmp_path):
    src = build(backbone=backbone_cfg(num_stages=4))
    path = str(tmp_path / 'other.pth')
    save_encoder(path, src)
    with pytest.raises(RuntimeError, match='does not match'):
        build(encoder_checkpoint=path)
    path2 = str(tmp_path / 'nobackbone.pth')
    torch.save(dict(state_dict={'cls_head.fc.weight': torch.zeros(2)}), path2)
    with pytest.raises(KeyError, match='backbone'):
        build(encoder_checkpoint=path2)


def _frozen(tmp_path, **kwargs):
    torch.manual_seed(0)
    path = str(tmp_path / 'stage1.pth')
    state = save_encoder(path, build())
    torch.manual_seed(1)
    return build(encoder_checkpoint=path, freeze_encoder=True, **kwargs), state, path


def test_freeze_encoder(tmp_path):
    model, state, _ = _frozen(tmp_path)
    assert all(not p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.cls_head.parameters())
    model.train()
    assert model.training and model.cls_head.training
    assert not model.backbone.training
    assert not any(m.training for m in model.backbone.modules())
    # BN statistics do not move in training mode
    running = model.backbone.data_bn.running_mean.clone()
    losses = model(inputs(), samples([0, 1]), mode='loss')
    torch.testing.assert_close(model.backbone.data_bn.running_mean, running)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.cls_head.fc.weight.grad.abs().sum() > 0
    feats, _ = model.extract_feat(inputs())
    assert not feats.requires_grad
    # excluded from the state dict
    sd = model.state_dict()
    assert sd and not any(k.startswith('backbone.') for k in sd)
    assert set(sd) == {'cls_head.fc.weight', 'cls_head.fc.bias'}


def test_frozen_state_dict_round_trip(tmp_path):
    model, state, path = _frozen(tmp_path)
    with torch.no_grad():
        model.cls_head.fc.weight.add_(1.0)
    sd = model.state_dict()
    other, _, _ = _frozen(tmp_path)
    other.load_state_dict(sd)  # strict: the frozen encoder is not missing
    torch.testing.assert_close(other.cls_head.fc.weight, model.cls_head.fc.weight)
    for k, v in other.backbone.state_dict().items():
        torch.testing.assert_close(v, state['backbone.' + k])
    # the same through mmengine's load_checkpoint (load_from / resume)
    ckpt = str(tmp_path / 'stage2.pth')
    torch.save(dict(state_dict=sd), ckpt)
    third, _, _ = _frozen(tmp_path)
    load_checkpoint(third, ckpt, map_location='cpu', strict=True)
    torch.testing.assert_close(third.cls_head.fc.weight, model.cls_head.fc.weight)


def _different_model_state():
    torch.manual_seed(2)
    # 6 blocks instead of 3 (the extra ones are not in the frozen model) and another head
    other = build(backbone=backbone_cfg(num_stages=6, inflate_stages=[]), cls_head=gcn_head(),
                  neck=dict(type='VQNeck', in_channels=8, num_codes=4))
    return other.state_dict()


def test_different_model_state_dict_raises_short_report(tmp_path):
    model, _, _ = _frozen(tmp_path)
    sd = _different_model_state()
    n_unexpected = sum(k.startswith(('backbone.gcn.3', 'backbone.gcn.4', 'backbone.gcn.5', 'neck.'))
                       for k in sd)
    assert n_unexpected > 50
    with pytest.raises(RuntimeError) as e:
        model.load_state_dict(sd)
    msg = str(e.value)
    assert 'different config' in msg
    assert f'{n_unexpected} tensors' in msg
    assert 'backbone.gcn.* (' in msg and 'neck.quantizer.* (' in msg
    assert len(msg.splitlines()) <= 5 and len(msg) < 600
    assert 'backbone.gcn.4.tcn.branches.0.0.weight' not in msg
    # and through mmengine's load_checkpoint
    ckpt = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=sd), ckpt)
    with pytest.raises(RuntimeError, match='different config'):
        load_checkpoint(model, ckpt, map_location='cpu')


def test_missing_head_weights_are_reported(tmp_path):
    model, _, _ = _frozen(tmp_path)
    with pytest.raises(RuntimeError, match=r'missing from the checkpoint: 2 tensors in cls_head.fc.\* \(2\)'):
        model.load_state_dict({})


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_non_strict_checkpoint_loading_only_warns(tmp_path):
    model, state, _ = _frozen(tmp_path, strict_checkpoint_loading=False)
    head_w = model.cls_head.fc.weight.clone()
    sd = _different_model_state()
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    try:
        result = model.load_state_dict(sd)
    finally:
        logger.removeHandler(handler)
    assert result.missing_keys == [] and result.unexpected_keys == []
    warnings = [r.getMessage() for r in handler.records if r.levelno == logging.WARNING]
    assert any('different config' in w for w in warnings)
    # matching tensors were loaded (the GCN head has the same fc shape)
    torch.testing.assert_close(model.cls_head.fc.weight, sd['cls_head.fc.weight'])
    assert not torch.equal(model.cls_head.fc.weight, head_w)


def test_init_weights_reloads_encoder_checkpoint(tmp_path):
    torch.manual_seed(0)
    path = str(tmp_path / 'stage1.pth')
    state = save_encoder(path, build())
    torch.manual_seed(1)
    model = build(encoder_checkpoint=path)
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.zero_()
    model.init_weights()
    for k, v in model.backbone.state_dict().items():
        torch.testing.assert_close(v, state['backbone.' + k], msg=k)
    # without the re-load, init_weights re-initialises the encoder (Kaiming), so the check above can fail
    torch.manual_seed(1)
    plain = build()
    with torch.no_grad():
        for p in plain.backbone.parameters():
            p.zero_()
    plain.init_weights()
    w = plain.backbone.gcn[0].gcn.convs[0].conv3.weight
    assert w.abs().sum() > 0 and not torch.equal(w, state['backbone.gcn.0.gcn.convs.0.conv3.weight'])
