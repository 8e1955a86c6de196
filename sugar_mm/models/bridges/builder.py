"""``build_bridge``: a bridge from its config, in the spirit of LLaVA's projector builder.

``build_bridge(dict(type='tqp', num_queries=128), in_dim, out_dim)``. ``type`` is any bridge registered in
sugar_mm's ``MODELS``, by class name or short name, or ``mlp{N}x_gelu`` (N linear layers with GELUs, N parsed
from the name as LLaVA does). The paper's Table 4 ablation is a config change:

================  ================================================================  ==========
``type``          what it does                                                      LLM tokens
================  ================================================================  ==========
``linear``        one linear layer, every time step a token                         L_s
``mlp{N}x_gelu``  N linear layers with GELUs, every time step a token               L_s
``xattn``         k learnable queries, one cross-attention layer over the sequence  k
``qformer``       k learnable queries, one Q-Former over the whole sequence         k
``tqp``           Temporal Query Projection (paper Eq. 4): one weight-shared        k
                  Q-Former chained over segments of k time steps, each output the
                  next query
================  ================================================================  ==========
"""
from __future__ import annotations

import inspect
import re
from typing import List, Optional, Type

from sugar_mm.registry import MODELS
from .base import BaseBridge
from .projection import MLPBridge

#: ``mlp{N}x_gelu``: LLaVA's name of an N-layer GELU MLP projector.
MLP_GELU_PATTERN = re.compile(r'^mlp(\d+)x_gelu$')


def bridge_types() -> List[str]:
    """Every ``type`` :func:`build_bridge` accepts: the registered bridge names, and ``mlp{N}x_gelu``."""
    names = [name for name, cls in MODELS.module_dict.items()
             if isinstance(cls, type) and issubclass(cls, BaseBridge)]
    return sorted(names) + ['mlp{N}x_gelu']


def _bridge_class(kind) -> Optional[Type[BaseBridge]]:
    """The registered bridge class of ``kind`` (a name or a class), None when it is none."""
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    return cls if isinstance(cls, type) and issubclass(cls, BaseBridge) else None


def build_bridge(cfg: dict, in_dim: int, out_dim: int) -> BaseBridge:
    """Build a bridge from ``dict(type=<name>, **kwargs)``.

    Names are looked up in sugar_mm's ``MODELS`` (its own names first, whatever the default scope), so the
    head that builds its bridge works under any scope.

    Args:
        cfg (dict): ``type`` (default ``'tqp'``) and the bridge's keyword arguments.
        in_dim (int): Encoder feature width C_in.
        out_dim (int): LLM hidden size D_llm.

    Returns:
        BaseBridge: ``(N, L_s, in_dim)`` -> ``(N, n_tokens, out_dim)``.

    Raises:
        ValueError: for an unknown ``type`` or an argument the bridge does not take.
    """
    cfg = dict(cfg)
    kind = cfg.pop('type', 'tqp')
    match = MLP_GELU_PATTERN.match(kind) if isinstance(kind, str) else None
    if match is not None:
        depth = int(match.group(1))
        if cfg.setdefault('depth', depth) != depth:
            raise ValueError(f'bridge {kind!r} has depth {depth}, but the config sets depth={cfg["depth"]}')
        cls = MLPBridge
    else:
        cls = _bridge_class(kind)
        if cls is None:
            raise ValueError(f'unknown bridge type {kind!r}; choose one of {bridge_types()}')
    params = inspect.signature(cls.__init__).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(cfg) - set(params))
        if unknown:
            raise ValueError(f'bridge {kind!r} does not take {unknown}')
    return cls(in_dim, out_dim, **cfg)
