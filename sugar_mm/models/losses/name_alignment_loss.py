"""An auxiliary stage-2 loss: the action tokens' mean, classified against the LLM's own class-name embeddings."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.models.losses import BaseWeightedLoss
from sugar_mm.registry import MODELS


@MODELS.register_module()
class NameAlignmentLoss(BaseWeightedLoss):
    """InfoNCE of the mean action token against the class names in the LLM's input-embedding space.

    A sugar_mm addition, not in the paper. A sample's action tokens (N, k, D) are averaged and compared by
    cosine similarity / ``temperature`` with each class name's embedding -- the mean of the LLM's (frozen) input
    embeddings of the name's tokens -- and the softmax over the action list is trained towards the label. It gives
    a from-scratch query bridge (TQP, Q-Former) a direct class signal in the word space the LLM reads, which the
    answer loss alone does not provide on a few hundred sequences (see docs/results.md). It has no parameters and
    works for any class list (zero-shot lists included). ``BridgeWarmupHook`` trains the bridge on it alone.

    Args:
        temperature (float): Softmax temperature (> 0).
        loss_weight (float): Factor on the loss (>= 0).
    """

    def __init__(self, temperature: float = 0.1, loss_weight: float = 1.0) -> None:
        if loss_weight < 0 or temperature <= 0:
            raise ValueError(f'NameAlignmentLoss needs loss_weight >= 0 and temperature > 0, got {loss_weight} and '
                             f'{temperature}')
        super().__init__(loss_weight=loss_weight)
        self.temperature = float(temperature)

    def logits(self, action: torch.Tensor, name_embeddings: torch.Tensor) -> torch.Tensor:
        """(N, C) similarities / temperature of the mean action tokens (N, k, D) and unit name vectors (C, D)."""
        pooled = F.normalize(action.float().mean(dim=1), dim=-1)
        return pooled @ name_embeddings.t() / self.temperature

    def _forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of :meth:`logits` (N, C) against the labels (N,)."""
        return F.cross_entropy(logits, labels)
