"""Answers from the list: decoding constrained so that an answer's ``"{class}."`` spells a listed name.

:class:`ListConstrainedLogitsProcessor` follows transformers' logits-processor interface (``(input_ids, scores)
-> scores``), so it serves both Hugging Face's ``generate(logits_processor=[...])`` (tested: the same tokens) and
our greedy loop (:func:`~sugar_mm.models.llm.greedy.greedy_decode`). The loop stays because it decodes from the
prompt cache that the class scoring has already filled, whose shared prefix is one batch-1 entry broadcast over
the batch; ``generate`` would either redo the prompt forward or need that cache copied per sample and passed as
``past_key_values`` (not measured here: no speed claim either way). It is a plain callable, not a subclass, so
that importing it needs no transformers.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import torch


class ListConstrainedLogitsProcessor:
    """Masks every token that would leave the candidates' token trie until a whole candidate is spelled.

    While the tokens generated so far are a proper prefix of some candidate (``"{class}."`` of a listed name),
    only the tokens that continue a candidate keep their logits; the others get ``-inf``. Once a whole candidate
    is spelled the rest of the answer (the description) is free. A candidate that is a prefix of another one
    (e.g. ``"throw."`` and ``"throw.ing"``, which do not occur with names ending in ``"."``) ends the constrained
    part: the shorter name is taken.

    Args:
        candidate_ids (Sequence[Sequence[int]]): Token ids of each candidate (``PromptBuilder.candidate_ids``).
        prompt_length (int): Leading columns of ``input_ids`` that are the prompt (0 when generating from
            ``inputs_embeds`` or in our loop, which passes the generated tokens only).
    """

    def __init__(self, candidate_ids: Sequence[Sequence[int]], prompt_length: int = 0) -> None:
        if not candidate_ids or any(len(c) == 0 for c in candidate_ids):
            raise ValueError('ListConstrainedLogitsProcessor needs candidates of at least one token each')
        self.prompt_length = prompt_length
        self.complete = {tuple(c) for c in candidate_ids}
        nxt: Dict[Tuple[int, ...], set] = {}
        for cand in candidate_ids:
            for i in range(len(cand)):
                nxt.setdefault(tuple(cand[:i]), set()).add(int(cand[i]))
        self.next_tokens: Dict[Tuple[int, ...], torch.Tensor] = {
            k: torch.tensor(sorted(v), dtype=torch.long) for k, v in nxt.items()}

    def allowed(self, generated: Sequence[int]):
        """Token ids allowed after ``generated`` (a tensor), or None where the answer is free."""
        key = tuple(int(t) for t in generated)
        for n in range(len(key) + 1):  # a whole candidate already spelled: free from there on
            if key[:n] in self.complete:
                return None
        if key not in self.next_tokens:
            raise ValueError(f'tokens {list(key)} left the candidate trie: the processor must see every step')
        return self.next_tokens[key]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """``input_ids`` (N, L) prompt + generated tokens, ``scores`` (N, V) next-token logits -> masked copy."""
        generated = input_ids[:, self.prompt_length:].tolist()
        rows: List[int] = []
        cols: List[torch.Tensor] = []
        for i, gen in enumerate(generated):
            ok = self.allowed(gen)
            if ok is not None:
                rows.append(i)
                cols.append(ok)
        if not rows:
            return scores
        keep = torch.zeros_like(scores, dtype=torch.bool)
        for i, ok in zip(rows, cols):
            keep[i, ok.to(scores.device)] = True
        constrained = torch.zeros(scores.shape[0], dtype=torch.bool, device=scores.device)
        constrained[rows] = True
        return scores.masked_fill(constrained[:, None] & ~keep, float('-inf'))
