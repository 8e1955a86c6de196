"""CTR-GCN (Chen et al., "Channel-wise Topology Refinement Graph Convolution for Skeleton-Based Action
Recognition", ICCV 2021), registered as an mmaction backbone.

mmaction2 ships CTR-GCN only as an unregistered project; this is a compact implementation with mmaction's
backbone interface (same arguments as ``STGCN``/``AAGCN``: ``graph_cfg``, ``base_channels``, ``num_stages``,
``inflate_stages``, ``down_stages``...). SUGAR removes the temporal down-sampling so that the encoder keeps the
whole time series: pass ``down_stages=[]`` (``SugarRecognizer(keep_temporal_resolution=True)`` does this for any
backbone that has the argument).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.utils import Graph
from mmengine.model import BaseModule, ModuleList

from sugar_mm.registry import MODELS


class CTRGC(nn.Module):
    """Channel-wise topology refinement graph convolution (one subset).

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        rel_reduction (int): Reduction of the relation channels. Defaults to 8.
    """

    def __init__(self, in_channels: int, out_channels: int, rel_reduction: int = 8) -> None:
        super().__init__()
        rel_channels = 8 if in_channels <= 16 else in_channels // rel_reduction
        self.conv1 = nn.Conv2d(in_channels, rel_channels, 1)
        self.conv2 = nn.Conv2d(in_channels, rel_channels, 1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, 1)
        self.conv4 = nn.Conv2d(rel_channels, out_channels, 1)

    def forward(self, x: torch.Tensor, A: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (Tensor): (N, C_in, T, V).
            A (Tensor): (V, V) shared topology of this subset.
            alpha (Tensor): scalar weight of the channel-wise refinement.

        Returns:
            Tensor: (N, C_out, T, V).
        """
        q = self.conv1(x).mean(-2)  # (N, R, V)
        k = self.conv2(x).mean(-2)
        v = self.conv3(x)  # (N, C_out, T, V)
        rel = torch.tanh(q.unsqueeze(-1) - k.unsqueeze(-2))  # (N, R, V, V)
        adj = self.conv4(rel) * alpha + A  # (N, C_out, V, V), channel-wise topology
        return torch.einsum('ncuv,nctv->nctu', adj, v)


class CTRGCNUnit(nn.Module):
    """Spatial unit: sum of CTRGC over the graph's subsets, BN, residual, ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (Tensor): (K, V, V) adjacency subsets; used as the initial value of a learnable topology.
    """

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor) -> None:
        super().__init__()
        self.num_subsets = A.shape[0]
        self.convs = nn.ModuleList(CTRGC(in_channels, out_channels) for _ in range(self.num_subsets))
        self.PA = nn.Parameter(A.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        self.bn = nn.BatchNorm2d(out_channels)
        self.down = nn.Identity() if in_channels == out_channels else nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, T, V) -> (N, C_out, T, V).

        Computes ``sum_i CTRGC_i(x, PA[i], alpha)`` with all subsets batched: one convolution for every
        subset's values, the relation branches on the time-averaged input (a 1x1 convolution commutes with the
        mean over time, so this is exact and T times cheaper), one grouped convolution for the refinements and
        one contraction over (subset, joint). Same parameters and result as the per-subset loop.
        """
        N, _, T, V = x.shape
        K = self.num_subsets
        convs = list(self.convs)
        R = convs[0].conv1.out_channels
        C = convs[0].conv3.out_channels
        v = F.conv2d(x, torch.cat([c.conv3.weight for c in convs]), torch.cat([c.conv3.bias for c in convs]))
        qk = F.conv2d(x.mean(-2, keepdim=True),
                      torch.cat([w for c in convs for w in (c.conv1.weight, c.conv2.weight)]),
                      torch.cat([b for c in convs for b in (c.conv1.bias, c.conv2.bias)])).view(N, K, 2, R, V)
        rel = torch.tanh(qk[:, :, 0].unsqueeze(-1) - qk[:, :, 1].unsqueeze(-2))  # (N, K, R, V, V)
        adj = F.conv2d(rel.reshape(N, K * R, V, V), torch.cat([c.conv4.weight for c in convs]),
                       torch.cat([c.conv4.bias for c in convs]), groups=K).view(N, K, C, V, V)
        adj = adj * self.alpha + self.PA.unsqueeze(1)  # (N, K, C_out, V, V)
        y = torch.einsum('nkcuv,nkctv->nctu', adj, v.view(N, K, C, T, V))
        return self.relu(self.bn(y) + self.down(x))


class MSTCN(nn.Module):
    """Multi-scale temporal convolution: dilated branches, a max-pool branch and a 1x1 branch.

    Convolutions followed by BatchNorm have no bias (BN removes it; it would never receive a gradient).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (split evenly over the branches).
        kernel_size (int): Temporal kernel of the dilated branches. Defaults to 5.
        stride (int): Temporal stride. Defaults to 1.
        dilations (Sequence[int]): Dilations of the conv branches. Defaults to (1, 2).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 1,
                 dilations: Sequence[int] = (1, 2)) -> None:
        super().__init__()
        num_branches = len(dilations) + 2
        mid = out_channels // num_branches
        rem = out_channels - mid * (num_branches - 1)
        branches = []
        for d in dilations:
            pad = (kernel_size + (kernel_size - 1) * (d - 1) - 1) // 2
            branches.append(nn.Sequential(
                nn.Conv2d(in_channels, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
                nn.Conv2d(mid, mid, (kernel_size, 1), (stride, 1), (pad, 0), (d, 1), bias=False),
                nn.BatchNorm2d(mid)))
        branches.append(nn.Sequential(
            nn.Conv2d(in_channels, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.MaxPool2d((3, 1), (stride, 1), (1, 0)), nn.BatchNorm2d(mid)))
        branches.append(nn.Sequential(nn.Conv2d(in_channels, rem, 1, (stride, 1), bias=False), nn.BatchNorm2d(rem)))
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, T, V) -> (N, C_out, T // stride, V)."""
        return torch.cat([b(x) for b in self.branches], dim=1)


class CTRGCNBlock(nn.Module):
    """Spatial CTR-GC unit + multi-scale temporal unit + residual."""

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor, stride: int = 1,
                 residual: bool = True, kernel_size: int = 5, dilations: Sequence[int] = (1, 2)) -> None:
        super().__init__()
        self.gcn = CTRGCNUnit(in_channels, out_channels, A)
        self.tcn = MSTCN(out_channels, out_channels, kernel_size, stride, dilations)
        if not residual:
            self.residual = None
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, (stride, 1), bias=False), nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return self.relu(y)


@MODELS.register_module()
class CTRGCN(BaseModule):
    """CTR-GCN backbone.

    Args:
        graph_cfg (dict): Config of mmaction's ``Graph`` (e.g. ``dict(layout='nturgb+d', mode='spatial')``;
            sugar_mm's layouts such as ``'kinect_v1'`` work too).
        in_channels (int): Coordinates per joint. Defaults to 3.
        base_channels (int): Channels of the first stage. Defaults to 64.
        num_person (int): Persons M (for the data BN when ``data_bn_type='MVC'``). Defaults to 2.
        data_bn_type (str): ``'VC'`` (shared over persons), ``'MVC'`` or ``None``. Defaults to ``'VC'``.
        ch_ratio (int): Channel multiplier at each inflate stage. Defaults to 2.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (Sequence[int]): 1-based stages that multiply the channels. Defaults to (5, 8).
        down_stages (Sequence[int]): 1-based stages with temporal stride 2. Defaults to (5, 8); ``[]`` keeps
            the full time series (SUGAR).
        kernel_size (int): Temporal kernel. Defaults to 5.
        dilations (Sequence[int]): Temporal dilations. Defaults to (1, 2).
        init_cfg (dict or list[dict], optional): Initialisation config.

    Shape:
        Input ``(N, M, T, V, C)``, output ``(N, M, C_out, T', V)`` with ``T' = T / 2**len(down_stages)``.
    """

    def __init__(self,
                 graph_cfg: Dict,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 num_person: int = 2,
                 data_bn_type: Optional[str] = 'VC',
                 ch_ratio: int = 2,
                 num_stages: int = 10,
                 inflate_stages: Sequence[int] = (5, 8),
                 down_stages: Sequence[int] = (5, 8),
                 kernel_size: int = 5,
                 dilations: Sequence[int] = (1, 2),
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d', mode='fan_out'),
                dict(type='Constant', layer='BatchNorm2d', val=1, bias=0),
            ]
        super().__init__(init_cfg=init_cfg)
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        if A.dim() == 2:
            A = A[None]
        self.num_joints = A.shape[-1]
        self.in_channels = in_channels
        self.num_person = num_person
        self.down_stages = tuple(down_stages)
        if data_bn_type == 'MVC':
            self.data_bn = nn.BatchNorm1d(num_person * in_channels * self.num_joints)
        elif data_bn_type == 'VC':
            self.data_bn = nn.BatchNorm1d(in_channels * self.num_joints)
        elif data_bn_type is None:
            self.data_bn = nn.Identity()
        else:
            raise ValueError(f'data_bn_type must be "VC", "MVC" or None, got {data_bn_type!r}')
        self.data_bn_type = data_bn_type

        blocks = []
        c_in, c_out = in_channels, base_channels
        for stage in range(1, num_stages + 1):
            if stage in inflate_stages:
                c_out = c_out * ch_ratio
            stride = 2 if stage in self.down_stages else 1
            blocks.append(CTRGCNBlock(c_in, c_out, A, stride=stride, residual=stage != 1,
                                      kernel_size=kernel_size, dilations=dilations))
            c_in = c_out
        self.gcn = ModuleList(blocks)
        self.out_channels = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, C) -> (N, M, C_out, T', V)."""
        N, M, T, V, C = x.shape
        if V != self.num_joints or C != self.in_channels:
            raise ValueError(f'CTRGCN expects (N, M, T, {self.num_joints}, {self.in_channels}) input '
                             f'(its graph has {self.num_joints} joints), got {tuple(x.shape)}')
        x = x.permute(0, 1, 3, 4, 2).contiguous()  # N, M, V, C, T
        if self.data_bn_type == 'MVC':
            x = self.data_bn(x.view(N, M * V * C, T))
        elif self.data_bn_type == 'VC':
            x = self.data_bn(x.view(N * M, V * C, T))
        x = x.view(N, M, V, C, T).permute(0, 1, 3, 4, 2).contiguous().view(N * M, C, T, V)
        for block in self.gcn:
            x = block(x)
        return x.reshape((N, M) + x.shape[1:])
