"""CTRGCN backbone (sugar_mm/models/backbones/ctrgcn.py): tiny configs, short clips."""
import pytest
import torch

from sugar_mm.models.backbones.ctrgcn import CTRGCN
from sugar_mm.registry import MODELS

KINECT = dict(layout='kinect_v1', mode='spatial')
NTU = dict(layout='nturgb+d', mode='spatial')


def build(**kwargs):
    cfg = dict(type='CTRGCN', graph_cfg=KINECT, base_channels=4, num_stages=3)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_registered_and_built_from_config():
    model = build()
    assert isinstance(model, CTRGCN)
    assert model.num_joints == 20
    assert len(model.gcn) == 3


def test_default_down_stages_quarter_time():
    torch.manual_seed(0)
    # defaults: 10 stages, inflate (5, 8), down (5, 8): T -> T/4, C -> 4*base
    model = build(num_stages=10).eval()
    x = torch.randn(2, 2, 16, 20, 3)
    out = model(x)
    assert out.shape == (2, 2, 16, 4, 20)
    assert model.out_channels == 16
    assert model.down_stages == (5, 8)


def test_no_down_stages_keeps_time():
    torch.manual_seed(0)
    model = build(num_stages=10, down_stages=[]).eval()
    out = model(torch.randn(2, 2, 16, 20, 3))
    assert out.shape == (2, 2, 16, 16, 20)


def test_odd_length_down_sampled_consistently():
    model = build(num_stages=5, inflate_stages=[], down_stages=[2]).eval()
    out = model(torch.randn(1, 2, 15, 20, 3))
    assert out.shape == (1, 2, 4, 8, 20)


@pytest.mark.parametrize('base,stages,inflate,ratio,expected_c', [
    (4, 3, [], 2, 4),
    (6, 3, [], 2, 6),
    (4, 3, [2], 2, 8),
    (4, 3, [2, 3], 2, 16),
    (4, 3, [3], 3, 12),
])
def test_channels_follow_config(base, stages, inflate, ratio, expected_c):
    model = build(base_channels=base, num_stages=stages, inflate_stages=inflate, ch_ratio=ratio,
                  down_stages=[]).eval()
    out = model(torch.randn(1, 2, 8, 20, 3))
    assert model.out_channels == expected_c
    assert out.shape == (1, 2, expected_c, 8, 20)


def test_ntu_layout_25_joints_two_persons():
    model = build(graph_cfg=NTU, down_stages=[]).eval()
    assert model.num_joints == 25
    out = model(torch.randn(3, 2, 8, 25, 3))
    assert out.shape == (3, 2, 4, 8, 25)
    # the two persons are encoded independently (same weights): swapping persons swaps outputs
    x = torch.randn(1, 2, 8, 25, 3)
    swapped = model(x.flip(1))
    torch.testing.assert_close(swapped, model(x).flip(1))


def test_kinect_layout_20_joints():
    model = build(down_stages=[]).eval()
    out = model(torch.randn(2, 1, 8, 20, 3))
    assert out.shape == (2, 1, 4, 8, 20)


@pytest.mark.parametrize('graph,bad_shape', [
    (KINECT, (1, 2, 8, 25, 3)),
    (NTU, (1, 2, 8, 20, 3)),
    (KINECT, (1, 2, 8, 20, 2)),  # wrong coordinate count
])
def test_wrong_joint_count_raises_value_error(graph, bad_shape):
    model = build(graph_cfg=graph)
    with pytest.raises(ValueError, match='joints'):
        model(torch.randn(*bad_shape))


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = build(base_channels=4, num_stages=3, inflate_stages=[3], down_stages=[2]).train()
    # CTR-GCN starts with alpha = 0 (no refinement yet), which zeroes conv1/2/4's gradients; a non-zero
    # alpha lets us check that every parameter is really connected to the output.
    with torch.no_grad():
        for block in model.gcn:
            block.gcn.alpha.fill_(0.5)
    x = torch.randn(2, 2, 8, 20, 3)
    out = model(x)
    weights = torch.randn_like(out)  # a random projection (a plain sum vanishes through BN)
    (out * weights).sum().backward()
    names = [n for n, _ in model.named_parameters()]
    assert any(n.startswith('data_bn.') for n in names)
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name


def test_alpha_zero_still_gives_alpha_a_gradient():
    """At init (alpha=0) the refinement branch is off but alpha itself learns."""
    torch.manual_seed(0)
    model = build(down_stages=[]).train()
    out = model(torch.randn(2, 2, 8, 20, 3))
    (out * torch.randn_like(out)).sum().backward()
    for block in model.gcn:
        assert block.gcn.alpha.grad.abs().sum() > 0


def test_init_weights_runs_and_resets_bn():
    torch.manual_seed(0)
    model = build(down_stages=[])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.fill_(3.0)
                m.bias.fill_(2.0)
        conv = model.gcn[1].gcn.convs[0].conv3
        conv.weight.fill_(7.0)
    model.init_weights()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns
    for m in bns:
        assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    assert not torch.all(conv.weight == 7.0)
    out = model.eval()(torch.randn(1, 2, 8, 20, 3))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('bn_type,features', [('MVC', 2 * 20 * 3), ('VC', 20 * 3), (None, None)])
def test_data_bn_types(bn_type, features):
    torch.manual_seed(0)
    model = build(data_bn_type=bn_type, num_person=2, down_stages=[]).train()
    if features is None:
        assert isinstance(model.data_bn, torch.nn.Identity)
    else:
        assert isinstance(model.data_bn, torch.nn.BatchNorm1d)
        assert model.data_bn.num_features == features
    x = torch.randn(2, 2, 8, 20, 3) * 5 + 3
    out = model(x)
    assert out.shape == (2, 2, 4, 8, 20)
    if features is not None:
        # the data BN saw the raw coordinates: its running mean moved towards 3
        assert model.data_bn.running_mean.mean() > 0.2


def test_data_bn_normalises_per_joint_coordinate():
    """'VC' BN normalises each (joint, coordinate) channel over batch, persons and time."""
    model = build(data_bn_type='VC', down_stages=[]).train()
    x = torch.randn(2, 2, 8, 20, 3)
    x[..., 5, 1] = x[..., 5, 1] * 10 + 100  # one joint's y coordinate far off
    seen = {}
    model.gcn[0].register_forward_pre_hook(lambda m, args: seen.setdefault('x', args[0].detach()))
    model(x)
    bn_out = seen['x']  # (N*M, C, T, V)
    assert bn_out.shape == (4, 3, 8, 20)
    torch.testing.assert_close(bn_out[:, 1, :, 5].mean(), torch.tensor(0.), atol=1e-4, rtol=0)
    torch.testing.assert_close(bn_out[:, 1, :, 5].var(unbiased=False), torch.tensor(1.), atol=1e-3, rtol=0)


def test_bad_data_bn_type():
    with pytest.raises(ValueError, match='data_bn_type'):
        build(data_bn_type='MV')


def test_batched_unit_equals_the_per_subset_sum():
    """The unit's batched forward is exactly sum_i CTRGC_i(x, PA_i, alpha) (+ BN, residual, ReLU)."""
    from sugar_mm.models.backbones.ctrgcn import CTRGCNUnit
    torch.manual_seed(0)
    A = torch.rand(3, 20, 20)
    unit = CTRGCNUnit(12, 24, A).eval()
    with torch.no_grad():
        unit.alpha.fill_(0.7)
        unit.bn.running_mean.normal_()
        unit.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 12, 9, 20)
    reference = sum(conv(x, unit.PA[i], unit.alpha) for i, conv in enumerate(unit.convs))
    expected = unit.relu(unit.bn(reference) + unit.down(x))
    torch.testing.assert_close(unit(x), expected, rtol=1e-5, atol=1e-5)
