"""Query bridges: k learnable queries read the whole sequence, so the LLM sees k tokens (the paper's Table 4
rows "cross-attention" and "one Q-Former"; the Temporal Query Projection is in :mod:`.tqp`)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from sugar_mm.registry import MODELS
from .base import BaseBridge
from .qformer import QFormer


class QueryBridge(BaseBridge):
    """k learnable queries of width ``width`` that read the sequence, then a linear layer to the LLM width.

    The common part of the query bridges; subclasses implement :meth:`forward`.

    Args:
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size D_llm.
        num_queries (int): k, the LLM token count. Defaults to 128.
        width (int): Q-Former width. Defaults to 256.
        depth (int): Q-Former layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): FFN ratio. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.
        self_attention (bool): Query self-attention in each layer. Defaults to True.
    """

    def __init__(self, in_dim: int, out_dim: int, num_queries: int = 128, width: int = 256, depth: int = 2,
                 num_heads: int = 8, mlp_ratio: float = 4.0, dropout: float = 0.0,
                 self_attention: bool = True) -> None:
        super().__init__()
        if num_queries < 1:
            raise ValueError('num_queries must be >= 1')
        self.num_queries = num_queries
        self.width = width
        self.input_proj = nn.Linear(in_dim, width)
        self.query = nn.Parameter(torch.randn(1, num_queries, width) * 0.02)
        self.qformer = QFormer(width, depth, num_heads, mlp_ratio, dropout, self_attention)
        self.out_proj = nn.Linear(width, out_dim)

    def num_tokens(self, seq_len: int) -> int:
        return self.num_queries


@MODELS.register_module(name=['QFormerBridge', 'qformer'])
class QFormerBridge(QueryBridge):
    """k queries, one Q-Former over the whole sequence (the paper's "one Q-Former" row).

    Args:
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size D_llm.
        num_queries (int): k. Defaults to 128.
        max_len (int): Longest sequence (learned positions). Defaults to 4096.
        **kwargs: The Q-Former's settings (see :class:`QueryBridge`).

    Shape:
        ``(N, L_s, C_in)`` (+ ``(N, L_s)`` padding mask) -> ``(N, k, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int, num_queries: int = 128, max_len: int = 4096, **kwargs) -> None:
        super().__init__(in_dim, out_dim, num_queries=num_queries, **kwargs)
        self.pos = nn.Parameter(torch.zeros(1, max_len, self.width))
        nn.init.trunc_normal_(self.pos, std=0.02)

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        N, L, _ = seq.shape
        if L > self.pos.shape[1]:
            raise ValueError(f'sequence of {L} steps exceeds max_len={self.pos.shape[1]}')
        x = self.input_proj(seq) + self.pos[:, :L]
        return self.out_proj(self.qformer(self.query.expand(N, -1, -1), x, pad_mask))


@MODELS.register_module(name=['CrossAttentionBridge', 'xattn'])
class CrossAttentionBridge(QFormerBridge):
    """k queries, a single cross-attention layer without query self-attention (the paper's "cross-attention"
    row): a :class:`QFormerBridge` with ``depth=1, self_attention=False``.

    Shape:
        ``(N, L_s, C_in)`` (+ ``(N, L_s)`` padding mask) -> ``(N, k, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int, num_queries: int = 128, **kwargs) -> None:
        kwargs.update(depth=1, self_attention=False)
        super().__init__(in_dim, out_dim, num_queries=num_queries, **kwargs)
