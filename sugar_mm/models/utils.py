"""Small tensor helpers shared by the heads (and the feature-extraction API)."""
from __future__ import annotations

import math

import torch

#: CLIP's cap on the learned logit scale ``exp(s)``: 100, i.e. a temperature of at least 0.01.
MAX_LOGIT_SCALE = 100.0


def pool_gcn_features(x: torch.Tensor) -> torch.Tensor:
    """Mean over time, joints and persons of a GCN encoder's output.

    Args:
        x (Tensor): ``(N, M, C, T, V)`` features.

    Returns:
        Tensor: ``(N, C)``.
    """
    if x.dim() != 5:
        raise ValueError(f'expected encoder features (N, M, C, T, V), got {tuple(x.shape)}')
    return x.mean(dim=(3, 4)).mean(dim=1)


def clamped_logit_scale(logit_scale: torch.Tensor, max_scale: float = MAX_LOGIT_SCALE) -> torch.Tensor:
    """``exp(logit_scale)`` capped at ``max_scale`` (CLIP's clamp of a learnable ``log(1 / tau)``).

    Args:
        logit_scale (Tensor): Scalar ``log(1 / tau)``.
        max_scale (float): Largest scale. Defaults to 100 (``tau >= 0.01``).

    Returns:
        Tensor: Scalar multiplier of the cosine similarities, ``1 / tau``.
    """
    return logit_scale.clamp(max=math.log(max_scale)).exp()
