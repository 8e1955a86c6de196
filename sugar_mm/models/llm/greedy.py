"""Greedy decoding of the answers from a prompt's key/value cache."""
from __future__ import annotations

import torch

from .causal_lm import FrozenCausalLM, PromptState


@torch.no_grad()
def greedy_decode(lm: FrozenCausalLM, state: PromptState, max_new_tokens: int, eos_token_id: int,
                  pad_token_id: int) -> torch.Tensor:
    """Greedy continuation of every prompt, ``max_new_tokens`` at most.

    The prompt cache (batch-1 tensors are broadcast) is copied once into buffers with room for the new tokens
    (see ``kv_cache.py``), so each step writes its token in place instead of copying the whole cache.

    Args:
        lm: The language model.
        state: The prompt forward's state (batch N).
        max_new_tokens (int): Generation length.
        eos_token_id (int): Ends an answer; a finished row keeps emitting it.
        pad_token_id (int): Fills the positions never reached.

    Returns:
        torch.Tensor: (N, max_new_tokens) token ids.
    """
    from .kv_cache import preallocated_cache
    h_last = state.last_hidden
    N = h_last.shape[0]
    cache = preallocated_cache([(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in state.past],
                               max_new_tokens)
    tokens = torch.full((N, max_new_tokens), pad_token_id, dtype=torch.long, device=h_last.device)
    done = torch.zeros(N, dtype=torch.bool, device=h_last.device)
    logits = lm.lm_head(h_last)
    for t in range(max_new_tokens):
        nxt = logits.argmax(-1).masked_fill(done, eos_token_id)
        tokens[:, t] = nxt
        done |= nxt == eos_token_id
        if bool(done.all()) or t == max_new_tokens - 1:
            break
        h, _ = lm.forward(ids=nxt[:, None], cache=cache, past_len=state.length + t)
        logits = lm.lm_head(h[:, -1])
    return tokens
