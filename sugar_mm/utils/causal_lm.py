"""Build a frozen Hugging Face causal LM (pretrained path, or a random model from a config) with its tokenizer.

A ground module: it imports nothing of sugar_mm above ``utils``, so both the knowledge generators and the
stage-2 head build their language models with it.
"""
from __future__ import annotations

import contextlib
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn

from sugar_mm.utils.embedded_models import resolve_model_path

_DTYPES = {'float32': torch.float32, 'fp32': torch.float32, 'bfloat16': torch.bfloat16, 'bf16': torch.bfloat16,
           'float16': torch.float16, 'fp16': torch.float16}


def to_dtype(value) -> Optional[torch.dtype]:
    if value is None or isinstance(value, torch.dtype):
        return value
    if value not in _DTYPES:
        raise ValueError(f'unknown dtype {value!r}; use one of {sorted(_DTYPES)}')
    return _DTYPES[value]


def autocast(device: torch.device, dtype: Optional[torch.dtype]):
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or nothing when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def build_causal_lm(path: Optional[str] = None,
                    config: Optional[Union[dict, str]] = None,
                    tokenizer: Optional[str] = None,
                    dtype=None,
                    seed: int = 0,
                    trust_remote_code: bool = False) -> Tuple[nn.Module, object]:
    """A causal LM and its tokenizer, weights frozen.

    Args:
        path (str, optional): Local folder, hub id, or ``'embedded:smollm2-135m-instruct'``.
        config (dict | str, optional): A randomly initialised model instead of pretrained weights: either
            ``dict(model_type='llama', hidden_size=..., ...)`` (tiny test models) or a folder / ``config.json`` of
            a real architecture (cost measurements without the weights, e.g. ``tools/analysis/gpu_check.py``);
            ``tokenizer`` then says where to load a tokenizer from.
        tokenizer (str, optional): Tokenizer location (default: ``path``).
        dtype (str | torch.dtype, optional): Weight dtype (e.g. ``'bfloat16'`` for LLaMA2-7B on GPUs). A random
            model is created in this dtype (on the current default device: build it under
            ``with torch.device('cuda')`` to skip a float32 copy in host memory).
        seed (int): Seed of the random init (``config`` only).
        trust_remote_code (bool): Off unless a config turns it on.
    """
    import transformers
    if (path is None) == (config is None):
        raise ValueError('give exactly one of `path` (pretrained LLM) or `config` (tiny random LLM)')
    tok_src = resolve_model_path(tokenizer if tokenizer is not None else path)
    if tok_src is None:
        raise ValueError('a randomly initialised LLM needs `tokenizer=`')
    tok = transformers.AutoTokenizer.from_pretrained(tok_src, trust_remote_code=trust_remote_code)
    dtype = to_dtype(dtype)
    if path is not None:
        kwargs = dict(trust_remote_code=trust_remote_code)
        if dtype is not None:
            kwargs['dtype'] = dtype
        model = transformers.AutoModelForCausalLM.from_pretrained(resolve_model_path(path), **kwargs)
    else:
        if isinstance(config, str):
            hf_cfg = transformers.AutoConfig.from_pretrained(config, trust_remote_code=trust_remote_code)
        else:
            cfg = dict(config)
            model_type = cfg.pop('model_type')
            cfg.setdefault('vocab_size', len(tok))
            hf_cfg = transformers.AutoConfig.for_model(model_type, **cfg)
        if hf_cfg.get_text_config().vocab_size < len(tok):
            raise ValueError(f'the LLM config has vocab_size={hf_cfg.get_text_config().vocab_size}, fewer than the '
                             f'{len(tok)} tokens of the tokenizer at {tok_src}')
        kwargs = dict(dtype=dtype) if dtype is not None else {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = transformers.AutoModelForCausalLM.from_config(hf_cfg, **kwargs)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model.requires_grad_(False)
    return model, tok
