"""Bridges from the encoder's feature sequence to LLM input tokens, and their string-selected builder.

In the spirit of LLaVA's projector builder: ``build_bridge(dict(type='tqp', num_queries=128), in_dim, out_dim)``.
The paper's Table 4 ablation is a config change:

=============  ====================================================================  ===============
``type``       what it does                                                           LLM tokens
=============  ====================================================================  ===============
``linear``     one linear layer, every time step a token                             L_s
``mlp2x_gelu`` Linear-GELU-Linear, every time step a token                           L_s
``xattn``      k learnable queries, one cross-attention layer over the sequence      k
``qformer``    k learnable queries, one Q-Former over the whole sequence             k
``tqp``        Temporal Query Projection (paper Eq. 4): one weight-shared Q-Former     k
               chained over segments of k time steps, each output the next query
=============  ====================================================================  ===============

Every bridge maps ``(N, L_s, C_in)`` (+ optional ``(N, L_s)`` padding mask, True = padded) to
``(N, n_tokens, D_llm)``.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Type

import torch
import torch.nn as nn
from mmaction.registry import MODELS

from .qformer import QFormer


class _Bridge(nn.Module):
    """Common interface: ``forward(seq, pad_mask=None) -> tokens``."""

    def num_tokens(self, seq_len: int) -> int:
        raise NotImplementedError


@MODELS.register_module()
class LinearBridge(_Bridge):
    """One linear layer per time step (the paper's "one linear layer" row)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(in_dim, out_dim)

    def num_tokens(self, seq_len: int) -> int:
        return seq_len

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.proj(seq)


@MODELS.register_module()
class MLPBridge(_Bridge):
    """LLaVA-1.5's ``mlp2x_gelu``: Linear-GELU-Linear per time step."""

    def __init__(self, in_dim: int, out_dim: int, depth: int = 2) -> None:
        super().__init__()
        layers = [nn.Linear(in_dim, out_dim)]
        for _ in range(depth - 1):
            layers += [nn.GELU(), nn.Linear(out_dim, out_dim)]
        self.proj = nn.Sequential(*layers)

    def num_tokens(self, seq_len: int) -> int:
        return seq_len

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.proj(seq)


class _QueryBridge(_Bridge):
    """k learnable queries of width ``width`` that read the sequence, then a linear layer to the LLM width."""

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


@MODELS.register_module()
class QFormerBridge(_QueryBridge):
    """k queries, one Q-Former over the whole sequence (the paper's "one Q-Former" row)."""

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


@MODELS.register_module()
class CrossAttentionBridge(QFormerBridge):
    """k queries, a single cross-attention layer without query self-attention (the paper's
    "cross-attention" row)."""

    def __init__(self, in_dim: int, out_dim: int, num_queries: int = 128, **kwargs) -> None:
        kwargs.update(depth=1, self_attention=False)
        super().__init__(in_dim, out_dim, num_queries=num_queries, **kwargs)


@MODELS.register_module()
class TemporalQueryProjection(_QueryBridge):
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
        ``(N, L_s, C_in)`` -> ``(N, k, out_dim)``.
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


#: Short names of the builder (the paper's Table 4 rows).
BRIDGES: Dict[str, Type[_Bridge]] = {
    'linear': LinearBridge,
    'mlp2x_gelu': MLPBridge,
    'xattn': CrossAttentionBridge,
    'qformer': QFormerBridge,
    'tqp': TemporalQueryProjection,
}


def build_bridge(cfg: dict, in_dim: int, out_dim: int) -> _Bridge:
    """Build a bridge from ``dict(type=<short name or registered class name>, **kwargs)``."""
    cfg = dict(cfg)
    kind = cfg.pop('type', 'tqp')
    if kind in BRIDGES:
        cls = BRIDGES[kind]
    else:
        cls = MODELS.get(kind) if isinstance(kind, str) else None
        if cls is None or not issubclass(cls, _Bridge):
            raise ValueError(f'unknown bridge type {kind!r}; choose one of {sorted(BRIDGES)}')
    import inspect
    accepted = set(inspect.signature(cls.__init__).parameters)
    takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())
    unknown = sorted(set(cfg) - accepted) if not takes_kwargs else []
    if unknown:
        raise ValueError(f'bridge {kind!r} does not take {unknown}')
    return cls(in_dim, out_dim, **cfg)
