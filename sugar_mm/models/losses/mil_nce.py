"""Multi-positive MIL-NCE (Miech et al. 2020), SUGAR's stage-1 loss (paper Eq. 3)."""
from __future__ import annotations

import torch


def mil_nce_loss(logits: torch.Tensor, positive_mask: torch.Tensor) -> torch.Tensor:
    """Multi-positive MIL-NCE.

    ``L = -1/|B| sum_i log( sum_{p in P(i)} exp(l_ip) / sum_k exp(l_ik) )`` where ``l = s . t / tau``.

    Args:
        logits (Tensor): (B, N_texts) similarities already divided by the temperature.
        positive_mask (Tensor): (B, N_texts) bool, True where text k is a positive of sample i. Every row needs
            at least one positive.

    Returns:
        Tensor: scalar loss.
    """
    if logits.shape != positive_mask.shape:
        raise ValueError(f'logits {tuple(logits.shape)} and positive_mask {tuple(positive_mask.shape)} differ')
    if not bool(positive_mask.any(dim=1).all()):
        raise ValueError('every sample needs at least one positive text (is its class in the text bank?)')
    neg_inf = torch.finfo(logits.dtype).min
    pos = torch.logsumexp(logits.masked_fill(~positive_mask, neg_inf), dim=1)
    return (torch.logsumexp(logits, dim=1) - pos).mean()
