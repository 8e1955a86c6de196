"""The Temporal Query Projection (SUGAR, paper Eq. 4): one weight-shared Q-Former chained over segments."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from sugar_mm.registry import MODELS
from .query import QueryBridge


@MODELS.register_module(name=['TemporalQueryProjection', 'tqp'])
class TemporalQueryProjection(QueryBridge):
    """Temporal Query Projection (SUGAR, paper Eq. 4).

    The sequence is cut into ``ceil(L_s / k)`` segments of ``k = num_queries`` time steps (the last one padded
    and masked). A learnable query ``q_0`` (k x width) reads segment 1 through a Q-Former; its output is the
    query for segment 2, and so on, with ONE weight-shared Q-Former. A final linear layer maps the last
    queries to the LLM width, so the LLM always sees k tokens however long the sequence is.

    Args:
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size.
        num_queries (int): k (paper: 128).
        width (int): Q-Former width. Defaults to 256.
        depth (int): Q-Former layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): FFN ratio. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.

    Shape:
        ``(N, L_s, C_in)`` (+ ``(N, L_s)`` padding mask) -> ``(N, k, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int, num_queries: int = 128, **kwargs) -> None:
        super().__init__(in_dim, out_dim, num_queries=num_queries, **kwargs)
        self.segment_pos = nn.Parameter(torch.zeros(1, 1, num_queries, self.width))
        nn.init.trunc_normal_(self.segment_pos, std=0.02)

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        N, L, _ = seq.shape
        k = self.num_queries
        n_seg = max(1, math.ceil(L / k))
        x = self.input_proj(seq)
        pad = torch.zeros(N, n_seg * k, dtype=torch.bool, device=seq.device)
        pad[:, L:] = True
        if pad_mask is not None:
            pad[:, :L] |= pad_mask.bool()
        if n_seg * k > L:
            x = torch.cat([x, x.new_zeros(N, n_seg * k - L, self.width)], dim=1)
        x = x.view(N, n_seg, k, self.width) + self.segment_pos
        pad = pad.view(N, n_seg, k)
        q = self.query.expand(N, -1, -1)
        for s in range(n_seg):
            seg_pad = pad[:, s]
            empty = seg_pad.all(dim=1)  # rows whose segment is entirely padding keep their query
            if bool(empty.all()):
                continue
            new_q = self.qformer(q, x[:, s], seg_pad & ~empty[:, None])
            q = torch.where(empty[:, None, None], q, new_q) if bool(empty.any()) else new_q
        return self.out_proj(q)
