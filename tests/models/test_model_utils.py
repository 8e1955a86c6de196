"""Tensor helpers shared by the heads (sugar_mm/models/utils.py)."""
import math

import pytest
import torch

from sugar_mm.models.utils import MAX_LOGIT_SCALE, clamped_logit_scale, pool_gcn_features


def test_pool_gcn_features_means_time_joints_then_persons():
    x = torch.randn(3, 2, 5, 7, 4)  # (N, M, C, T, V)
    pooled = pool_gcn_features(x)
    assert pooled.shape == (3, 5)
    assert torch.allclose(pooled, x.permute(0, 2, 1, 3, 4).reshape(3, 5, -1).mean(-1), atol=1e-6)
    with pytest.raises(ValueError, match=r'\(N, M, C, T, V\)'):
        pool_gcn_features(x[:, 0])


def test_clamped_logit_scale_caps_at_100_as_clip_does():
    assert clamped_logit_scale(torch.tensor(math.log(1 / 0.07))).item() == pytest.approx(1 / 0.07)
    assert clamped_logit_scale(torch.tensor(10.0)).item() == pytest.approx(MAX_LOGIT_SCALE)
    s = torch.tensor(10.0, requires_grad=True)
    clamped_logit_scale(s).backward()
    assert s.grad.item() == 0.0  # clamped: no gradient pushes it further
