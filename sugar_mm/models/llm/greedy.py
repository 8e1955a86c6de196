"""Greedy decoding of the answers from a prompt's key/value cache."""
from __future__ import annotations

from typing import Callable, Optional

import torch

from .causal_lm import FrozenCausalLM, PromptState

#: transformers' logits-processor interface: ``(input_ids (N, t), scores (N, V)) -> scores``
LogitsProcessor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


#: How the decoding cache holds the prompt and the new tokens: transformers' ``StaticCache`` or our
#: ``kv_cache.preallocated_cache``; both copy the prompt once into buffers with room for the new tokens.
CACHE_IMPLS = ('static', 'preallocated')


def _decoding_cache(lm: FrozenCausalLM, state: PromptState, max_new_tokens: int, impl: str):
    N = state.batch_size
    past = [(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in state.past]
    if impl == 'preallocated':
        from .kv_cache import preallocated_cache
        return preallocated_cache(past, max_new_tokens)
    if impl != 'static':
        raise ValueError(f'cache_impl must be one of {CACHE_IMPLS}, got {impl!r}')
    from transformers import StaticCache
    cache = StaticCache(config=lm.base.config, max_cache_len=state.length + max_new_tokens)
    for i, (k, v) in enumerate(past):
        cache.update(k, v, i)
    return cache


@torch.no_grad()
def greedy_decode(lm: FrozenCausalLM, state: PromptState, max_new_tokens: int, eos_token_id: int,
                  pad_token_id: int, cache_impl: str = 'static',
                  logits_processor: Optional[LogitsProcessor] = None) -> torch.Tensor:
    """Greedy continuation of every prompt, ``max_new_tokens`` at most.

    The prompt cache (batch-1 tensors are broadcast) is copied once into a decoding cache with room for the new
    tokens (``cache_impl``, see :data:`CACHE_IMPLS`), so each step writes its token in place instead of copying
    the whole cache as ``DynamicCache`` does.

    Args:
        lm: The language model.
        state: The prompt forward's state (batch N).
        max_new_tokens (int): Generation length.
        eos_token_id (int): Ends an answer; a finished row keeps emitting it.
        pad_token_id (int): Fills the positions never reached.
        cache_impl (str): ``'static'`` (transformers' ``StaticCache``) or ``'preallocated'``.
        logits_processor (callable, optional): Applied to each step's logits with the tokens generated so far,
            as ``generate`` applies its processors (e.g. :class:`~.list_constraint.ListConstrainedLogitsProcessor`).

    Returns:
        torch.Tensor: (N, max_new_tokens) token ids.
    """
    h_last = state.last_hidden
    N = h_last.shape[0]
    cache = _decoding_cache(lm, state, max_new_tokens, cache_impl)
    tokens = torch.full((N, max_new_tokens), pad_token_id, dtype=torch.long, device=h_last.device)
    done = torch.zeros(N, dtype=torch.bool, device=h_last.device)
    logits = lm.lm_head(h_last)
    for t in range(max_new_tokens):
        if logits_processor is not None:
            logits = logits_processor(tokens[:, :t], logits)
        nxt = logits.argmax(-1).masked_fill(done, eos_token_id)
        tokens[:, t] = nxt
        done |= nxt == eos_token_id
        if bool(done.all()) or t == max_new_tokens - 1:
            break
        h, _ = lm.forward(ids=nxt[:, None], cache=cache, past_len=state.length + t)
        logits = lm.lm_head(h[:, -1])
    return tokens
