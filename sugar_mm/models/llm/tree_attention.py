"""Feed a token trie after every sample's prompt in one pass, with a tree attention mask."""
from __future__ import annotations

from typing import Iterator, Tuple

import torch

from .causal_lm import FrozenCausalLM, PromptState


def tree_hidden(lm: FrozenCausalLM, state: PromptState, node_tokens: torch.Tensor, node_depth: torch.Tensor,
                ancestors: torch.Tensor, chunk: int) -> Iterator[Tuple[slice, torch.Tensor]]:
    """Hidden states of trie nodes fed after each sample's prompt cache, in chunks of samples.

    Every node attends to the prompt and to its own ancestors only, at the position of its depth, so one pass
    gives every node the hidden state a plain left-to-right forward of its prefix would.

    Args:
        lm: The language model.
        state: The prompt forward's state (batch N).
        node_tokens (torch.Tensor): (T,) the token fed at each node.
        node_depth (torch.Tensor): (T,) its depth below the prompt.
        ancestors (torch.Tensor): (T, T) bool, node i sees node j.
        chunk (int): Max (samples x nodes) fed at once (memory bound).

    Yields:
        tuple: ``(rows, hidden)``, a slice of the N samples and their hidden states (n, T, D).
    """
    past = state.past
    N, T, Lp = past[0][0].shape[0], node_tokens.numel(), state.length
    dtype, device = past[0][0].dtype, node_tokens.device
    mask = torch.zeros(T, Lp + T, dtype=dtype, device=device)
    mask[:, Lp:].masked_fill_(~ancestors, torch.finfo(dtype).min)
    positions = (Lp + node_depth).unsqueeze(0)
    per_chunk = max(1, chunk // T)
    for s in range(0, N, per_chunk):
        rows = slice(s, min(N, s + per_chunk))
        n = rows.stop - rows.start
        yield rows, lm.forward_tree(node_tokens.expand(n, -1), [(k[rows], v[rows]) for k, v in past],
                                    positions.expand(n, -1), mask.expand(n, 1, -1, -1))
