"""Wrap a frozen causal LM with peft LoRA adapters (only the adapters train)."""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn


def apply_lora(model: nn.Module, r: int = 64, alpha: int = 16, dropout: float = 0.05,
               target_modules: Sequence[str] = ('q_proj', 'v_proj'), bias: str = 'none') -> nn.Module:
    """Wrap ``model`` with peft LoRA adapters; only the adapters are trainable."""
    from peft import LoraConfig, get_peft_model
    lora_cfg = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules),
                          bias=bias, task_type='CAUSAL_LM')
    peft_model = get_peft_model(model, lora_cfg)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    if not trainable:
        raise ValueError(f'LoRA matched no module: target_modules={list(target_modules)}')
    return peft_model
