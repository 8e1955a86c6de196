"""Class names in the LLM's own input-embedding space (what ``NameAlignmentLoss`` pulls the action tokens to)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from .causal_lm import FrozenCausalLM


@torch.no_grad()
def mean_name_embeddings(lm: FrozenCausalLM, tokenizer, class_names: Sequence[str], device) -> torch.Tensor:
    """(C, D) unit vectors: the mean of the (frozen) input embeddings of each name's tokens (``' ' + name``)."""
    rows = []
    for name in class_names:
        ids = tokenizer(' ' + name, add_special_tokens=False)['input_ids']
        if not ids:
            raise ValueError(f'class name {name!r} tokenizes to nothing')
        rows.append(lm.embed_ids(ids, device).float().mean(0))
    return F.normalize(torch.stack(rows), dim=-1)
