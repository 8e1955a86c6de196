"""``score_mode='constrained'``: each class's probability under decoding constrained to the class list.

The trie-constrained decoding of GENRE (De Cao et al. 2021): wherever the candidates branch, the LLM's next-token
logits are renormalised over the continuations that still spell a class; once a single candidate is left its
remaining tokens are forced (probability 1). Only the branching prefixes are fed and only the candidates' rows of
the LM head are computed; the scores form an exact distribution over the (distinct) class names, whose argmax is
the class constrained greedy decoding would pick.
"""
from __future__ import annotations

import torch

from .candidates import CandidateTrie
from .causal_lm import FrozenCausalLM, PromptState
from .tree_attention import tree_hidden


@torch.no_grad()
def constrained_scores(lm: FrozenCausalLM, state: PromptState, trie: CandidateTrie,
                       chunk: int = 4096) -> torch.Tensor:
    """(N, K) log-probabilities of the candidates under trie-constrained decoding (each row sums to 1 in p).

    Args:
        lm: The language model.
        state: The prompt forward's state (batch N).
        trie: The candidates, on the state's device.
        chunk (int): Max (samples x fed nodes) at once.
    """
    h_last, bp = state.last_hidden, trie.branch
    N, K = h_last.shape[0], trie.num_candidates
    heads = torch.empty(N, bp.edges.shape[0], h_last.shape[-1], dtype=h_last.dtype, device=h_last.device)
    heads[:, 0] = h_last
    if bp.keep.numel():
        for rows, h in tree_hidden(lm, state, trie.node_tokens[bp.keep], trie.node_depth[bp.keep], bp.ancestors,
                                   chunk):
            heads[rows, 1:] = h[:, bp.rows]
    logits = lm.token_logits(heads, bp.edges).float()
    logp = logits.masked_fill(~bp.edge_mask, float('-inf')).log_softmax(-1)  # (N, 1 + B, E)
    edge_lp = logp[:, bp.pair_row, bp.pair_col]  # (N, P)
    return torch.zeros(N, K, device=h_last.device).index_add_(1, bp.pair_cand, edge_lp)
