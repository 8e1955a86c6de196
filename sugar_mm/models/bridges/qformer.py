"""A compact BLIP-2-style Q-Former layer stack: queries self-attend, cross-attend to a context, then an FFN."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn


class QFormerLayer(nn.Module):
    """One Q-Former layer (pre-norm).

    Args:
        dim (int): Query / context width d.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN hidden width = ``mlp_ratio * dim``.
        dropout (float): Dropout on attention weights and FFN.
        self_attention (bool): Include the query self-attention block (a plain cross-attention layer has none).
    """

    def __init__(self, dim: int, num_heads: int = 8, mlp_ratio: float = 4.0, dropout: float = 0.0,
                 self_attention: bool = True) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'width {dim} is not divisible by {num_heads} heads')
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True) \
            if self_attention else None
        self.norm_self = nn.LayerNorm(dim) if self_attention else None
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.cross_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.norm_ffn = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.ffn = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))

    def forward(self, q: torch.Tensor, context: torch.Tensor,
                context_pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            q (Tensor): (N, k, d) queries.
            context (Tensor): (N, L, d) keys/values.
            context_pad_mask (Tensor, optional): (N, L) bool, True at padded positions (ignored). Rows may not
                be fully padded.

        Returns:
            Tensor: (N, k, d).
        """
        if self.self_attn is not None:
            h = self.norm_self(q)
            q = q + self.self_attn(h, h, h, need_weights=False)[0]
        kv = self.norm_kv(context)
        q = q + self.cross_attn(self.norm_q(q), kv, kv, key_padding_mask=context_pad_mask, need_weights=False)[0]
        return q + self.ffn(self.norm_ffn(q))


class QFormer(nn.Module):
    """A stack of :class:`QFormerLayer` with a final LayerNorm."""

    def __init__(self, dim: int, depth: int = 2, num_heads: int = 8, mlp_ratio: float = 4.0, dropout: float = 0.0,
                 self_attention: bool = True) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            QFormerLayer(dim, num_heads, mlp_ratio, dropout, self_attention) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(self, q: torch.Tensor, context: torch.Tensor,
                context_pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self.layers:
            q = layer(q, context, context_pad_mask)
        return self.norm(q)
