"""The interface every bridge implements: an encoder feature sequence in, LLM input tokens out."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn


class BaseBridge(nn.Module):
    """A bridge maps the encoder's feature sequence to ``n_tokens`` LLM input embeddings.

    Subclasses take ``(in_dim, out_dim, **kwargs)`` as their first constructor arguments (what
    :func:`~sugar_mm.models.bridges.build_bridge` passes) and implement :meth:`forward` and :meth:`num_tokens`.
    """

    def num_tokens(self, seq_len: int) -> int:
        """How many LLM tokens a sequence of ``seq_len`` steps becomes."""
        raise NotImplementedError

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Map a feature sequence to LLM tokens.

        Args:
            seq (Tensor): ``(N, L_s, C_in)`` encoder features.
            pad_mask (Tensor, optional): ``(N, L_s)`` bool, True at padded steps.

        Returns:
            Tensor: ``(N, num_tokens(L_s), D_llm)``.
        """
        raise NotImplementedError
