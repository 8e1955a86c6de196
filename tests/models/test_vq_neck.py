"""VQ necks (sugar_mm/models/necks/vq_neck.py): shapes, straight-through, losses, EMA, dead codes, RVQ."""
import copy

import pytest
import torch
import torch.nn.functional as F

from sugar_mm.models.necks import ResidualVQNeck, VectorQuantizer, VQNeck
from sugar_mm.registry import MODELS

# A 2-d codebook of 4 codes and 4 vectors whose nearest codes and distances are known by hand.
CODES = torch.tensor([[0., 0.], [1., 0.], [0., 1.], [1., 1.]])
VECS = torch.tensor([[0.1, 0.2],   # -> code 0, squared error 0.01 + 0.04 = 0.05
                     [0.9, 0.1],   # -> code 1, 0.01 + 0.01 = 0.02
                     [0.2, 0.7],   # -> code 2, 0.04 + 0.09 = 0.13
                     [0.6, 0.8]])  # -> code 3, 0.16 + 0.04 = 0.20
# sum of squared errors 0.40 over 8 elements: mse = 0.05


def to_feats(vectors, N=1, M=1, T=2, V=2):
    """(N*M*T*V, C) vectors -> (N, M, C, T, V) features in the neck's flattening order."""
    C = vectors.shape[1]
    return vectors.reshape(N, M, T, V, C).permute(0, 1, 4, 2, 3).contiguous()


def set_codebook(q: VectorQuantizer, codes: torch.Tensor, cluster_size: float = 1.0):
    with torch.no_grad():
        q.embed.data.copy_(codes)
        if q.ema:
            # as the module itself does before any update: the average is the code itself when the count is 0
            q.embed_avg.copy_(codes * cluster_size if cluster_size > 0 else codes)
            q.cluster_size.fill_(cluster_size)
        q.initted.fill_(True)


def hand_vq_neck(ema=True, **kwargs):
    neck = VQNeck(in_channels=2, num_codes=4, ema=ema, **kwargs)
    set_codebook(neck.quantizer, CODES)
    return neck


# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('cfg', [
    dict(type='VQNeck', in_channels=8, num_codes=16),
    dict(type='VQNeck', in_channels=8, num_codes=16, code_dim=4),
    dict(type='ResidualVQNeck', in_channels=8, num_quantizers=3, num_codes=16),
    dict(type='ResidualVQNeck', in_channels=8, num_quantizers=2, num_codes=16, code_dim=4, ema=False),
])
@pytest.mark.parametrize('training', [True, False])
def test_shape_kept(cfg, training):
    torch.manual_seed(0)
    neck = MODELS.build(cfg).train(training)
    x = torch.randn(2, 2, 8, 5, 4)
    out, aux = neck(x)
    assert out.shape == x.shape
    assert torch.isfinite(out).all()
    assert {'loss_vq', 'vq_usage', 'vq_perplexity'} <= set(aux)


def test_wrong_input_raises():
    neck = VQNeck(in_channels=8, num_codes=4)
    with pytest.raises(ValueError, match='N, M, C, T, V'):
        neck(torch.randn(2, 8, 5, 4))
    with pytest.raises(ValueError, match='8 channels'):
        neck(torch.randn(1, 1, 6, 5, 4))


def test_output_is_nearest_code():
    neck = hand_vq_neck().eval()
    out, _ = neck(to_feats(VECS))
    torch.testing.assert_close(out, to_feats(CODES))


@pytest.mark.parametrize('neck_cls,kwargs', [
    (VQNeck, dict(num_codes=16)),
    (VQNeck, dict(num_codes=16, ema=False)),
    (ResidualVQNeck, dict(num_quantizers=3, num_codes=16)),
])
def test_straight_through_gradient_is_identity(neck_cls, kwargs):
    torch.manual_seed(0)
    neck = neck_cls(in_channels=8, **kwargs).train()
    x = torch.randn(2, 2, 8, 5, 4, requires_grad=True)
    out, _ = neck(x)
    assert not torch.allclose(out, x)  # really quantised
    g = torch.randn_like(out)
    out.backward(g)
    torch.testing.assert_close(x.grad, g)


@pytest.mark.parametrize('beta', [0.25, 1.0])
def test_commitment_loss_hand_computed(beta):
    neck = hand_vq_neck(commitment=beta, loss_weight=2.0).eval()
    _, aux = neck(to_feats(VECS))
    expected = 2.0 * beta * 0.05
    assert aux['loss_vq'].item() == pytest.approx(expected, rel=1e-5)


def test_non_ema_adds_codebook_loss_hand_computed():
    neck = hand_vq_neck(ema=False, commitment=0.25).eval()
    _, aux = neck(to_feats(VECS))
    # commitment 0.25 * 0.05 plus codebook loss ||sg(z) - e||^2 = 0.05
    assert aux['loss_vq'].item() == pytest.approx(0.0625, rel=1e-5)


def test_commitment_loss_uses_codes_before_the_ema_update():
    torch.manual_seed(0)
    neck = VQNeck(in_channels=4, num_codes=8, commitment=0.5)
    neck.train()
    z = torch.randn(2 * 1 * 3 * 5, 4)
    codes = torch.randn(8, 4)
    set_codebook(neck.quantizer, codes)
    idx = torch.cdist(z, codes).argmin(1)
    expected = 0.5 * ((z - codes[idx]) ** 2).mean()
    z_grad = z.clone().requires_grad_(True)
    _, aux = neck(to_feats(z_grad, N=2, M=1, T=3, V=5))
    torch.testing.assert_close(aux['loss_vq'], expected)
    # the commitment loss pulls z towards its code: d/dz = 2 * beta * (z - e) / numel
    aux['loss_vq'].backward()
    torch.testing.assert_close(z_grad.grad, 2 * 0.5 * (z - codes[idx]) / z.numel())
    assert not torch.equal(neck.quantizer.embed, codes)  # and the codebook did move (EMA)


def test_ema_update_moves_codes_toward_assigned_vectors():
    torch.manual_seed(0)
    q = VectorQuantizer(num_codes=2, dim=2, decay=0.5, dead_code_threshold=0).train()
    codes = torch.tensor([[0., 0.], [10., 10.]])
    set_codebook(q, codes, cluster_size=1.0)
    a = torch.randn(6, 2) * 0.3 + torch.tensor([2., 1.])   # nearest to code 0
    b = torch.randn(4, 2) * 0.3 + torch.tensor([7., 8.])   # nearest to code 1
    z = torch.cat([a, b])
    _, idx, _ = q(z)
    assert idx.tolist() == [0] * 6 + [1] * 4
    new = q.embed.clone()
    assert (new[0] - a.mean(0)).norm() < (codes[0] - a.mean(0)).norm()
    assert (new[1] - b.mean(0)).norm() < (codes[1] - b.mean(0)).norm()
    # exact EMA: (decay * avg + (1 - decay) * sum) / (decay * count + (1 - decay) * n)  (eps is negligible)
    exp0 = (0.5 * codes[0] + 0.5 * a.sum(0)) / (0.5 * 1 + 0.5 * 6)
    exp1 = (0.5 * codes[1] + 0.5 * b.sum(0)) / (0.5 * 1 + 0.5 * 4)
    torch.testing.assert_close(new, torch.stack([exp0, exp1]), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(q.cluster_size, torch.tensor([3.5, 2.5]))
    # repeated steps converge to the cluster means (k-means)
    for _ in range(30):
        q(z)
    torch.testing.assert_close(q.embed, torch.stack([a.mean(0), b.mean(0)]), atol=1e-3, rtol=0)


def test_eval_mode_does_not_update_codebook():
    torch.manual_seed(0)
    neck = VQNeck(in_channels=4, num_codes=8)
    neck.train()(torch.randn(2, 1, 4, 3, 5))  # data-dependent init + one update
    state = {k: v.clone() for k, v in neck.state_dict().items()}
    neck.eval()(torch.randn(2, 1, 4, 3, 5) + 3)
    for k, v in neck.state_dict().items():
        torch.testing.assert_close(v, state[k], msg=k)


def test_first_training_batch_initialises_codes_from_data():
    torch.manual_seed(0)
    neck = VQNeck(in_channels=4, num_codes=6, ema=False).train()
    assert not bool(neck.quantizer.initted)
    x = torch.randn(1, 1, 4, 3, 5) + 5  # far from the random N(0, 0.02) init
    neck(x)
    assert bool(neck.quantizer.initted)
    z = x.permute(0, 1, 3, 4, 2).reshape(-1, 4)
    d = torch.cdist(neck.quantizer.embed.detach(), z)
    assert d.min(dim=1).values.max() < 1e-6  # every code is one of the batch's vectors


def _far_codebook_neck(threshold):
    neck = VQNeck(in_channels=4, num_codes=8, dead_code_threshold=threshold)
    far = 100 + torch.randn(8, 4)
    set_codebook(neck.quantizer, far, cluster_size=1e-4)  # (almost) never used codes, far from the data
    return neck


def test_dead_codes_far_from_data_are_restarted():
    torch.manual_seed(0)
    neck = _far_codebook_neck(threshold=1e-3).train()
    x = torch.randn(2, 2, 4, 4, 5)
    _, aux = neck(x)
    assert aux['vq_usage'].item() * 8 == pytest.approx(1)  # everything on the one nearest code
    for _ in range(3):
        _, aux = neck(x)
    assert aux['vq_usage'].item() * 8 > 1
    assert neck.quantizer.embed.norm(dim=1).max() < 20  # every code now lives near the data
    assert (neck.quantizer.cluster_size > 1e-3).all()


def test_without_restart_far_codes_stay_dead():
    torch.manual_seed(0)
    neck = _far_codebook_neck(threshold=0).train()
    x = torch.randn(2, 2, 4, 4, 5)
    for _ in range(4):
        _, aux = neck(x)
    assert aux['vq_usage'].item() * 8 == pytest.approx(1)


@pytest.mark.parametrize('neck_cls,kwargs', [
    (VQNeck, dict(num_codes=16)),
    (VQNeck, dict(num_codes=16, ema=False)),
    (ResidualVQNeck, dict(num_quantizers=2, num_codes=16)),
])
def test_usage_and_perplexity_after_training(neck_cls, kwargs):
    torch.manual_seed(0)
    neck = neck_cls(in_channels=8, **kwargs).train()
    for _ in range(5):
        _, aux = neck(torch.randn(2, 2, 8, 4, 5))
    assert aux['vq_usage'].item() * 16 > 1
    assert aux['vq_perplexity'].item() > 1
    assert aux['vq_perplexity'].item() <= 16 + 1e-4


def test_perplexity_and_usage_hand_computed():
    neck = hand_vq_neck().eval()
    # codes used 2, 1, 1, 0 times: usage 3/4, perplexity exp(H(0.5, 0.25, 0.25)) = 2**1.5
    vecs = torch.tensor([[0.1, 0.2], [0.0, 0.1], [0.9, 0.1], [0.2, 0.7]])
    _, aux = neck(to_feats(vecs))
    assert aux['vq_usage'].item() == pytest.approx(0.75)
    assert aux['vq_perplexity'].item() == pytest.approx(2 ** 1.5, rel=1e-5)


def test_encode_vq_codes():
    neck = hand_vq_neck().eval()
    codes = neck.encode(to_feats(VECS))
    assert codes.shape == (1, 1, 2, 2)
    assert codes.dtype == torch.long
    assert codes.flatten().tolist() == [0, 1, 2, 3]
    torch.manual_seed(0)
    big = VQNeck(in_channels=8, num_codes=16).eval()
    codes = big.encode(torch.randn(2, 3, 8, 5, 4))
    assert codes.shape == (2, 3, 5, 4)
    assert not codes.dtype.is_floating_point
    assert codes.min() >= 0 and codes.max() < 16


def test_encode_residual_codes():
    torch.manual_seed(0)
    neck = ResidualVQNeck(in_channels=8, num_quantizers=3, num_codes=16).train()
    x = torch.randn(2, 3, 8, 5, 4)
    neck(x)
    neck.eval()
    codes = neck.encode(x)
    assert codes.shape == (2, 3, 5, 4, 3)
    assert not codes.dtype.is_floating_point
    assert codes.min() >= 0 and codes.max() < 16
    # the codes reconstruct the forward output
    z = x.permute(0, 1, 3, 4, 2).reshape(-1, 8)
    flat = codes.reshape(-1, 3)
    recon = sum(q.embed[flat[:, i]] for i, q in enumerate(neck.quantizers))
    out, _ = neck(x)
    torch.testing.assert_close(out.permute(0, 1, 3, 4, 2).reshape(-1, 8), recon)
    assert not torch.allclose(recon, z)


def test_encode_does_not_touch_the_codebook_in_training_mode():
    torch.manual_seed(0)
    neck = VQNeck(in_channels=4, num_codes=8).train()
    neck(torch.randn(2, 1, 4, 3, 5))
    state = {k: v.clone() for k, v in neck.state_dict().items()}
    neck.encode(torch.randn(2, 1, 4, 3, 5) + 3)
    assert neck.training
    for k, v in neck.state_dict().items():
        torch.testing.assert_close(v, state[k], msg=k)


def test_residual_error_decreases_with_more_quantizers():
    torch.manual_seed(0)
    neck = ResidualVQNeck(in_channels=4, num_quantizers=4, num_codes=8, decay=0.8).train()
    x = torch.randn(4, 1, 4, 8, 5)
    for _ in range(20):
        neck(x)
    errors = []
    for k in range(1, 5):
        sub = copy.deepcopy(neck).eval()
        sub.quantizers = sub.quantizers[:k]
        out, _ = sub(x)
        errors.append(F.mse_loss(out, x).item())
    assert errors[0] < F.mse_loss(torch.zeros_like(x), x).item()
    assert all(a > b for a, b in zip(errors, errors[1:])), errors


@pytest.mark.parametrize('neck', [VQNeck(in_channels=8, num_codes=8),
                                  ResidualVQNeck(in_channels=8, num_quantizers=2, num_codes=8)])
def test_loss_and_metric_keys(neck):
    torch.manual_seed(0)
    x = torch.randn(2, 1, 8, 3, 5, requires_grad=True)
    _, aux = neck.train()(x)
    loss_keys = [k for k in aux if 'loss' in k]
    assert loss_keys == ['loss_vq']
    assert aux['loss_vq'].requires_grad and aux['loss_vq'].item() > 0
    metrics = {k for k in aux if 'loss' not in k}
    assert {'vq_usage', 'vq_perplexity'} <= metrics
    for k in metrics:
        assert not aux[k].requires_grad
    if isinstance(neck, ResidualVQNeck):
        assert {'vq_usage_q0', 'vq_usage_q1'} <= metrics


def test_non_ema_codebook_gets_gradients():
    torch.manual_seed(0)
    neck = VQNeck(in_channels=4, num_codes=32, ema=False).train()
    assert isinstance(neck.quantizer.embed, torch.nn.Parameter)
    assert 'quantizer.embed' in dict(neck.named_parameters())
    x = torch.randn(1, 1, 4, 2, 3)  # 6 vectors, data-init picks codes from them
    neck(x)  # initialise
    with torch.no_grad():
        neck.quantizer.embed.add_(0.5)  # move codes off the data so the loss is non-zero
    before = neck.quantizer.embed.detach().clone()
    out, aux = neck(x)
    torch.testing.assert_close(neck.quantizer.embed.detach(), before)  # no EMA in forward
    aux['loss_vq'].backward()
    grad = neck.quantizer.embed.grad
    used = neck.encode(x).flatten().unique()
    assert grad[used].abs().sum(1).gt(0).all()
    unused = torch.ones(32, dtype=torch.bool)
    unused[used] = False
    assert unused.any() and grad[unused].abs().sum() == 0
    # gradient descent on the codebook loss reduces it
    opt = torch.optim.SGD(neck.parameters(), lr=1.0)
    first = aux['loss_vq'].item()
    for _ in range(5):
        opt.step()
        opt.zero_grad()
        _, aux = neck(x)
        aux['loss_vq'].backward()
    assert aux['loss_vq'].item() < first


def test_ema_codebook_is_a_buffer_without_gradients():
    neck = VQNeck(in_channels=4, num_codes=8)
    assert 'quantizer.embed' not in dict(neck.named_parameters())
    assert 'quantizer.embed' in neck.state_dict()
    assert 'quantizer.cluster_size' in neck.state_dict()


def test_residual_non_ema_codebooks_get_gradients():
    torch.manual_seed(0)
    neck = ResidualVQNeck(in_channels=4, num_quantizers=2, num_codes=8, ema=False).train()
    _, aux = neck(torch.randn(2, 1, 4, 3, 5))
    aux['loss_vq'].backward()
    for q in neck.quantizers:
        assert q.embed.grad is not None and q.embed.grad.abs().sum() > 0


def test_num_quantizers_validated():
    with pytest.raises(ValueError, match='num_quantizers'):
        ResidualVQNeck(in_channels=4, num_quantizers=0)
