"""Per-step projections: every time step of the sequence becomes one LLM token (the paper's Table 4 rows
"one linear layer" and LLaVA-1.5's ``mlp2x_gelu``)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from sugar_mm.registry import MODELS
from .base import BaseBridge


@MODELS.register_module(name=['LinearBridge', 'linear'])
class LinearBridge(BaseBridge):
    """One linear layer per time step (the paper's "one linear layer" row).

    Args:
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size D_llm.

    Shape:
        ``(N, L_s, C_in)`` -> ``(N, L_s, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(in_dim, out_dim)

    def num_tokens(self, seq_len: int) -> int:
        return seq_len

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.proj(seq)


@MODELS.register_module()
class MLPBridge(BaseBridge):
    """LLaVA-1.5's ``mlp{depth}x_gelu`` per time step: ``depth`` linear layers with a GELU between two.

    ``build_bridge(dict(type='mlp3x_gelu'), ...)`` makes one with ``depth=3``.

    Args:
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size D_llm.
        depth (int): Linear layers (>= 1). Defaults to 2.

    Shape:
        ``(N, L_s, C_in)`` -> ``(N, L_s, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int, depth: int = 2) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f'an MLP bridge needs depth >= 1, got {depth}')
        layers = [nn.Linear(in_dim, out_dim)]
        for _ in range(depth - 1):
            layers += [nn.GELU(), nn.Linear(out_dim, out_dim)]
        self.proj = nn.Sequential(*layers)

    def num_tokens(self, seq_len: int) -> int:
        return seq_len

    def forward(self, seq: torch.Tensor, pad_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.proj(seq)
