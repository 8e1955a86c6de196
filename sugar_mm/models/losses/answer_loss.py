"""The stage-2 answer loss: next-token cross-entropy on the answer tokens, class tokens optionally up-weighted."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.models.losses import BaseWeightedLoss
from sugar_mm.registry import MODELS


@MODELS.register_module()
class AnswerLoss(BaseWeightedLoss):
    """Weighted token mean of the cross-entropy over the answer ``"{class}. {description}"``.

    ``loss = sum_i w_i * ce_i / sum_i w_i`` with ``w_i = class_token_weight`` on the tokens that spell
    ``"{class}."`` and 1 on the description and end tokens (``class_token_weight=1``: the plain token mean of the
    paper). Only the class tokens depend on the action tokens (the description is teacher-forced after the
    class), so on a small dataset a weight > 1 gives the bridge a stronger signal.

    Args:
        class_token_weight (float): Weight of the class tokens relative to the others (> 0).
        loss_weight (float): Factor on the whole loss.
    """

    def __init__(self, class_token_weight: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight=loss_weight)
        if class_token_weight <= 0:
            raise ValueError(f'class_token_weight must be > 0, got {class_token_weight}')
        self.class_token_weight = float(class_token_weight)

    def _forward(self, logits: torch.Tensor, target: torch.Tensor, class_token: torch.Tensor) -> torch.Tensor:
        """
        Args:
            logits (torch.Tensor): (n, V) logits at the n positions that predict an answer token.
            target (torch.Tensor): (n,) the answer tokens.
            class_token (torch.Tensor): (n,) bool, the token belongs to ``"{class}."``.

        Returns:
            torch.Tensor: scalar loss.
        """
        ce = F.cross_entropy(logits, target, reduction='none')
        weights = torch.ones_like(ce)
        if self.class_token_weight != 1.0:
            weights = weights.masked_fill(class_token, self.class_token_weight)
        return (ce * weights).sum() / weights.sum().clamp(min=1)
