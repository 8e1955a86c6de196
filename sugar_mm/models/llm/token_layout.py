"""How the encoder's output becomes the sequence the bridge reads."""
from __future__ import annotations

import torch

#: ``'time'``: joints and persons averaged (L_s = T); ``'time_joint'``: persons averaged, time-major (L_s = T*V);
#: ``'time_person_joint'``: every (time, person, joint) a step (L_s = T*M*V).
TOKEN_LAYOUTS = ('time', 'time_joint', 'time_person_joint')


def check_token_layout(layout: str) -> str:
    if layout not in TOKEN_LAYOUTS:
        raise ValueError(f'token_layout must be one of {TOKEN_LAYOUTS}, got {layout!r}')
    return layout


def feature_sequence(feats: torch.Tensor, layout: str) -> torch.Tensor:
    """Encoder output (N, M, C, T, V) -> (N, L_s, C) following ``layout`` (see :data:`TOKEN_LAYOUTS`)."""
    if feats.dim() != 5:
        raise ValueError(f'LLMHead takes encoder features (N, M, C, T, V), got {tuple(feats.shape)}')
    N, M, C, T, V = feats.shape
    if layout == 'time':
        return feats.mean(dim=(1, 4)).transpose(1, 2)  # (N, T, C)
    if layout == 'time_joint':
        return feats.mean(dim=1).permute(0, 2, 3, 1).reshape(N, T * V, C)
    return feats.permute(0, 3, 1, 4, 2).reshape(N, T * M * V, C)
