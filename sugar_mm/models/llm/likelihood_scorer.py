"""``score_mode='likelihood'``: each candidate's full log-likelihood after the prompt."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .candidates import CandidateTrie
from .causal_lm import FrozenCausalLM, PromptState
from .tree_attention import tree_hidden


@torch.no_grad()
def likelihood_scores(lm: FrozenCausalLM, state: PromptState, trie: CandidateTrie, chunk: int = 4096,
                      length_norm: bool = False) -> torch.Tensor:
    """Per-candidate log-likelihoods (N, K), every token normalised over the whole vocabulary.

    The first token comes from the prompt's last hidden state; the others from one pass over the whole trie
    (shared prefixes such as "draw x" / "draw tick" cost one token, not one per class).

    Args:
        lm: The language model.
        state: The prompt forward's state (batch N).
        trie: The candidates, on the state's device.
        chunk (int): Max (samples x trie nodes) fed at once.
        length_norm (bool): Average instead of sum the candidates' token log-probabilities.
    """
    first_logp = F.log_softmax(lm.lm_head(state.last_hidden).float(), dim=-1)  # (N, V)
    scores = first_logp[:, trie.first]  # (N, K): first token given the prompt
    if trie.node_tokens.numel():
        K = scores.shape[1]
        for rows, h in tree_hidden(lm, state, trie.node_tokens, trie.node_depth, trie.ancestors, chunk):
            logp = F.log_softmax(lm.lm_head(h).float(), dim=-1)  # (n, T, V)
            pair_lp = logp[:, trie.pair_node, trie.pair_token]  # (n, P)
            scores[rows] += torch.zeros(h.shape[0], K, device=h.device).index_add_(1, trie.pair_cand, pair_lp)
    if length_norm:
        scores = scores / trie.lengths[None]
    return scores
