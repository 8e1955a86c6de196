"""Bridges (sugar_mm/models/bridges/): registered in sugar_mm's MODELS, built by ``build_bridge``."""
import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope

from sugar_mm.models.bridges import (BaseBridge, CrossAttentionBridge, LinearBridge, MLPBridge, QFormerBridge,
                                     TemporalQueryProjection, bridge_types, build_bridge)
from sugar_mm.registry import MODELS

SHORT_NAMES = dict(linear=LinearBridge, xattn=CrossAttentionBridge, qformer=QFormerBridge,
                   tqp=TemporalQueryProjection)


@pytest.mark.parametrize('kind,expect_tokens', [('linear', 37), ('mlp2x_gelu', 37), ('mlp3x_gelu', 37),
                                                ('xattn', 6), ('qformer', 6), ('tqp', 6),
                                                ('TemporalQueryProjection', 6), ('sugar_mm.tqp', 6)])
def test_bridge_shapes(kind, expect_tokens):
    cfg = dict(type=kind)
    if kind not in ('linear', 'mlp2x_gelu', 'mlp3x_gelu'):
        cfg.update(num_queries=6, width=16, num_heads=4)
    bridge = build_bridge(cfg, in_dim=12, out_dim=20)
    assert isinstance(bridge, BaseBridge)
    out = bridge(torch.randn(2, 37, 12))
    assert out.shape == (2, expect_tokens, 20)
    assert bridge.num_tokens(37) == expect_tokens
    out.sum().backward()
    assert all(p.grad is not None for p in bridge.parameters() if p.requires_grad)


def test_short_names_are_registry_names():
    for name, cls in SHORT_NAMES.items():
        assert MODELS.get(name) is cls and MODELS.get(cls.__name__) is cls
        assert type(build_bridge(dict(type=name, num_queries=2, width=8, num_heads=2) if name != 'linear'
                                 else dict(type=name), 4, 4)) is cls
    # a bridge is a registered model like any other: MODELS.build works with its arguments
    assert isinstance(MODELS.build(dict(type='tqp', in_dim=4, out_dim=4, num_queries=2, width=8, num_heads=2)),
                      TemporalQueryProjection)
    assert set(SHORT_NAMES) | {'mlp{N}x_gelu', 'MLPBridge'} <= set(bridge_types())
    # no type: the paper's TQP
    assert type(build_bridge(dict(num_queries=2, width=8, num_heads=2), 4, 4)) is TemporalQueryProjection


def test_mlp_depth_is_parsed_from_the_name():
    """LLaVA's ``mlp{N}x_gelu``: N linear layers with a GELU between two."""
    for depth in (1, 2, 3, 5):
        mlp = build_bridge(dict(type=f'mlp{depth}x_gelu'), 4, 6)
        assert type(mlp) is MLPBridge
        layers = list(mlp.proj)
        assert [type(m) for m in layers] == [nn.Linear] + [nn.GELU, nn.Linear] * (depth - 1)
    assert len(build_bridge(dict(type='mlp3x_gelu', depth=3), 4, 6).proj) == 5  # the same depth twice is fine
    with pytest.raises(ValueError, match='depth 2'):
        build_bridge(dict(type='mlp2x_gelu', depth=3), 4, 4)
    with pytest.raises(ValueError, match='depth >= 1'):
        build_bridge(dict(type='mlp0x_gelu'), 4, 4)


def test_unknown_bridge_is_a_clear_error():
    with pytest.raises(ValueError, match='choose one of'):
        build_bridge(dict(type='perceiver'), 4, 4)
    with pytest.raises(ValueError, match='choose one of'):
        build_bridge(dict(type='mlpx_gelu'), 4, 4)
    with pytest.raises(ValueError, match='choose one of'):  # a registered model that is not a bridge
        build_bridge(dict(type='VQNeck'), 4, 4)
    with pytest.raises(ValueError, match='does not take'):
        build_bridge(dict(type='linear', num_queries=3), 4, 4)


def test_build_bridge_resolves_in_sugar_mm_whatever_the_default_scope():
    """The LLM head builds its bridge from its own registry: unprefixed names work under mmaction's scope too."""
    with DefaultScope.overwrite_default_scope('mmaction'):
        assert type(build_bridge(dict(type='linear'), 4, 4)) is LinearBridge
        assert type(build_bridge(dict(type='mlp2x_gelu'), 4, 4)) is MLPBridge


def test_tqp_chains_one_shared_qformer_over_segments():
    torch.manual_seed(0)
    tqp = TemporalQueryProjection(8, 10, num_queries=4, width=16, depth=2, num_heads=4)
    # one weight-shared Q-Former: its parameters do not grow with the sequence length
    assert sum(1 for _ in tqp.qformer.layers) == 2
    seq = torch.randn(1, 12, 8)  # 3 segments of 4
    # recompute by hand: q0 -> segment 1 -> segment 2 -> segment 3, each output the next query
    x = tqp.input_proj(seq).view(1, 3, 4, 16) + tqp.segment_pos
    q = tqp.query
    for s in range(3):
        q = tqp.qformer(q, x[:, s], torch.zeros(1, 4, dtype=torch.bool))
    assert torch.allclose(tqp(seq), tqp.out_proj(q), atol=1e-6)
    # the last segment matters (it is the last step of the chain) and so does the first (through the chain)
    seq2 = seq.clone()
    seq2[:, -1] += 1
    assert not torch.allclose(tqp(seq), tqp(seq2))
    seq3 = seq.clone()
    seq3[:, 0] += 1
    assert not torch.allclose(tqp(seq), tqp(seq3))


def test_tqp_pads_and_masks_the_last_segment():
    torch.manual_seed(0)
    tqp = TemporalQueryProjection(8, 10, num_queries=4, width=16, depth=1, num_heads=4).eval()
    seq = torch.randn(2, 10, 8)  # 2 full segments + 2 steps padded to 4
    out = tqp(seq)
    assert out.shape == (2, 4, 10) and torch.isfinite(out).all()
    # padding is masked: appending padded-away steps through pad_mask gives the same result
    longer = torch.cat([seq, torch.randn(2, 2, 8)], dim=1)
    mask = torch.zeros(2, 12, dtype=torch.bool)
    mask[:, 10:] = True
    assert torch.allclose(tqp(longer, mask), out, atol=1e-5)
    # a sample whose whole last segment is padding keeps the query of the previous segment
    mask2 = torch.zeros(2, 12, dtype=torch.bool)
    mask2[0, 8:] = True
    out2 = tqp(longer, mask2)
    assert torch.allclose(out2[0], tqp(seq[:1, :8])[0], atol=1e-5)
