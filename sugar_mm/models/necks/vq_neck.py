"""Vector-quantisation necks: encoder features -> discrete codes (LLM-AR-style action tokens).

SUGAR's own default keeps continuous features; VQ is a config choice (``neck=dict(type='VQNeck', ...)``) and
works with both stages. Each (person, frame, joint) feature vector is quantised.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from sugar_mm.registry import MODELS


def _all_reduce_(t: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


class VectorQuantizer(nn.Module):
    """One codebook with EMA updates, straight-through gradients, commitment loss and dead-code restart.

    Args:
        num_codes (int): Codebook size K.
        dim (int): Code dimension D.
        commitment (float): Weight beta of the commitment loss ``||z - sg(e)||^2``.
        ema (bool): Update the codebook by exponential moving averages (else by a codebook loss
            ``||sg(z) - e||^2`` with gradients).
        decay (float): EMA decay.
        dead_code_threshold (float): Codes whose EMA usage count falls below this are restarted from random
            encoder outputs of the current batch (0 disables restarts).
        eps (float): Laplace smoothing of the EMA counts.
    """

    def __init__(self, num_codes: int, dim: int, commitment: float = 0.25, ema: bool = True, decay: float = 0.99,
                 dead_code_threshold: float = 1e-3, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_codes, self.dim = num_codes, dim
        self.commitment, self.ema, self.decay, self.eps = commitment, ema, decay, eps
        self.dead_code_threshold = dead_code_threshold
        embed = torch.randn(num_codes, dim) * 0.02
        if ema:
            self.register_buffer('embed', embed)
            self.register_buffer('cluster_size', torch.zeros(num_codes))
            self.register_buffer('embed_avg', embed.clone())
        else:
            self.embed = nn.Parameter(embed)
        self.register_buffer('initted', torch.tensor(False))

    @torch.no_grad()
    def _init_from(self, z: torch.Tensor) -> None:
        """Data-dependent init: codes are random encoder outputs of the first batch."""
        idx = torch.randint(0, z.shape[0], (self.num_codes, ), device=z.device)
        self.embed.data.copy_(z[idx])
        if self.ema:
            self.embed_avg.copy_(z[idx])
            self.cluster_size.fill_(1.0)
        self.initted.fill_(True)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest code index of each row of ``z`` (N, D) -> (N,)."""
        dist2 = (z.pow(2).sum(1, keepdim=True) - 2 * z @ self.embed.t() + self.embed.pow(2).sum(1)[None])
        return dist2.argmin(dim=1)

    def forward(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, torch.Tensor]]:
        """
        Args:
            z (Tensor): (N, D) vectors.

        Returns:
            tuple: straight-through quantised vectors (N, D), code indices (N,), and a dict with the loss
            (``loss``) and the batch's code usage fraction and perplexity.
        """
        if self.training and not bool(self.initted):
            self._init_from(z.detach())
        idx = self.codes(z.detach())
        q = self.embed[idx] if self.ema else F.embedding(idx, self.embed)
        one_hot = F.one_hot(idx, self.num_codes).type(z.dtype)
        counts = _all_reduce_(one_hot.sum(0).detach())
        if self.training and self.ema:
            with torch.no_grad():
                embed_sum = _all_reduce_(one_hot.t() @ z.detach())
                self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
                self.embed_avg.mul_(self.decay).add_(embed_sum, alpha=1 - self.decay)
                n = self.cluster_size.sum()
                smoothed = (self.cluster_size + self.eps) / (n + self.num_codes * self.eps) * n
                self.embed.copy_(self.embed_avg / smoothed.unsqueeze(1))
                self._restart_dead_codes(z.detach())
        loss = self.commitment * F.mse_loss(z, q.detach())
        if not self.ema:
            loss = loss + F.mse_loss(q, z.detach())
        q_st = z + (q - z).detach()
        probs = counts / counts.sum().clamp(min=1)
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        usage = (counts > 0).float().mean()
        return q_st, idx, dict(loss=loss, usage=usage.detach(), perplexity=perplexity.detach())

    @torch.no_grad()
    def _restart_dead_codes(self, z: torch.Tensor) -> None:
        if self.dead_code_threshold <= 0:
            return
        dead = self.cluster_size < self.dead_code_threshold
        n_dead = int(dead.sum())
        if n_dead == 0:
            return
        pick = torch.randint(0, z.shape[0], (n_dead, ), device=z.device)
        new = z[pick]
        if dist.is_available() and dist.is_initialized():  # every rank restarts with rank 0's choice
            dist.broadcast(new, 0)
        self.embed[dead] = new
        self.embed_avg[dead] = new
        self.cluster_size[dead] = 1.0


class _VQNeckBase(BaseModule):
    """Projection in/out of the code space around one or several quantisers."""

    def __init__(self, in_channels: int, code_dim: Optional[int], init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.code_dim = code_dim or in_channels
        self.proj_in = nn.Identity() if self.code_dim == in_channels else nn.Linear(in_channels, self.code_dim)
        self.proj_out = nn.Identity() if self.code_dim == in_channels else nn.Linear(self.code_dim, in_channels)

    def _flatten(self, x: torch.Tensor) -> Tuple[torch.Tensor, tuple]:
        if x.dim() != 5:
            raise ValueError(f'VQ necks take encoder features (N, M, C, T, V), got {tuple(x.shape)}')
        N, M, C, T, V = x.shape
        if C != self.in_channels:
            raise ValueError(f'expected {self.in_channels} channels, got {C}')
        return self.proj_in(x.permute(0, 1, 3, 4, 2).reshape(-1, C)), (N, M, C, T, V)

    def _unflatten(self, z: torch.Tensor, shape: tuple) -> torch.Tensor:
        N, M, C, T, V = shape
        return self.proj_out(z).reshape(N, M, T, V, C).permute(0, 1, 4, 2, 3).contiguous()

    def _quantize(self, z: torch.Tensor):
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """(N, M, C, T, V) -> quantised features of the same shape, and losses/metrics."""
        z, shape = self._flatten(x)
        q, _, aux = self._quantize(z)
        return self._unflatten(q, shape), aux

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Discrete codes: (N, M, C, T, V) -> (N, M, T, V) (or (N, M, T, V, num_quantizers))."""
        z, (N, M, C, T, V) = self._flatten(x)
        was_training = self.training
        self.eval()  # a read-only look-up: no data-dependent init, EMA update or dead-code restart
        try:
            _, idx, _ = self._quantize(z)
        finally:
            self.train(was_training)
        return idx.reshape(N, M, T, V, *idx.shape[1:])


@MODELS.register_module()
class VQNeck(_VQNeckBase):
    """Single-codebook VQ neck.

    Args:
        in_channels (int): Encoder channels C.
        num_codes (int): Codebook size. Defaults to 512.
        code_dim (int, optional): Code dimension (a linear layer maps C <-> code_dim); default C.
        commitment (float): Commitment weight beta. Defaults to 0.25.
        ema (bool): EMA codebook updates. Defaults to True.
        decay (float): EMA decay. Defaults to 0.99.
        dead_code_threshold (float): EMA count under which a code is restarted.
        loss_weight (float): Weight of the VQ loss.

    Returns from ``forward``: features (N, M, C, T, V) and ``dict(loss_vq, vq_usage, vq_perplexity)``.
    """

    def __init__(self, in_channels: int, num_codes: int = 512, code_dim: Optional[int] = None,
                 commitment: float = 0.25, ema: bool = True, decay: float = 0.99, dead_code_threshold: float = 1e-3,
                 loss_weight: float = 1.0, init_cfg=None) -> None:
        super().__init__(in_channels, code_dim, init_cfg)
        self.quantizer = VectorQuantizer(num_codes, self.code_dim, commitment, ema, decay, dead_code_threshold)
        self.loss_weight = loss_weight

    def _quantize(self, z):
        q, idx, aux = self.quantizer(z)
        return q, idx, dict(loss_vq=self.loss_weight * aux['loss'], vq_usage=aux['usage'],
                            vq_perplexity=aux['perplexity'])


@MODELS.register_module()
class ResidualVQNeck(_VQNeckBase):
    """Residual (multi-codebook) VQ: quantiser ``i`` codes what quantisers ``< i`` left over.

    Args:
        in_channels (int): Encoder channels C.
        num_quantizers (int): Number of codebooks. Defaults to 4.
        num_codes (int): Size of each codebook. Defaults to 256.
        code_dim, commitment, ema, decay, dead_code_threshold, loss_weight: as in :class:`VQNeck`.

    Metrics: ``vq_usage`` / ``vq_perplexity`` are averaged over the codebooks; ``vq_usage_q{i}`` per codebook.
    """

    def __init__(self, in_channels: int, num_quantizers: int = 4, num_codes: int = 256,
                 code_dim: Optional[int] = None, commitment: float = 0.25, ema: bool = True, decay: float = 0.99,
                 dead_code_threshold: float = 1e-3, loss_weight: float = 1.0, init_cfg=None) -> None:
        super().__init__(in_channels, code_dim, init_cfg)
        if num_quantizers < 1:
            raise ValueError('num_quantizers must be >= 1')
        self.quantizers = nn.ModuleList(
            VectorQuantizer(num_codes, self.code_dim, commitment, ema, decay, dead_code_threshold)
            for _ in range(num_quantizers))
        self.loss_weight = loss_weight

    def _quantize(self, z):
        residual = z
        total = torch.zeros_like(z)
        indices, losses, usages, perps = [], [], [], []
        for q_layer in self.quantizers:
            q, idx, aux = q_layer(residual)  # its commitment/codebook loss is on its own residual
            code = q.detach()  # the code values before this step's EMA update, as in VQNeck
            total = total + code
            residual = residual - code
            indices.append(idx)
            losses.append(aux['loss'])
            usages.append(aux['usage'])
            perps.append(aux['perplexity'])
        q_st = z + (total - z).detach()
        out = dict(loss_vq=self.loss_weight * torch.stack(losses).sum(), vq_usage=torch.stack(usages).mean(),
                   vq_perplexity=torch.stack(perps).mean())
        for i, u in enumerate(usages):
            out[f'vq_usage_q{i}'] = u
        return q_st, torch.stack(indices, dim=1), out
