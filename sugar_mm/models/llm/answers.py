"""The training answers of a batch as token ids, with the masks the answer loss needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .prompt import PromptBuilder, class_prefix_length


@dataclass
class AnswerBatch:
    """Right-padded answer tokens ``"{class}. {brief}" + <eos>``.

    Attributes:
        ids (torch.Tensor): (N, A) token ids, padded with the pad token.
        valid (torch.Tensor): (N, A) bool, a real answer token.
        class_token (torch.Tensor): (N, A) bool, a token that spells the answer's ``"{class}."``.
    """

    ids: torch.Tensor
    valid: torch.Tensor
    class_token: torch.Tensor

    @property
    def length(self) -> int:
        """A, the longest answer's length."""
        return self.ids.shape[1]


def build_answer_batch(prompt: PromptBuilder, answers: Sequence[str], class_names: Sequence[str], pad_token_id: int,
                       device) -> AnswerBatch:
    """Tokenise each answer (with its class name, for the class-token mask) into an :class:`AnswerBatch`."""
    ids = [prompt.answer_ids(a) for a in answers]
    A = max(len(a) for a in ids)
    batch = AnswerBatch(torch.full((len(ids), A), pad_token_id, dtype=torch.long, device=device),
                        torch.zeros(len(ids), A, dtype=torch.bool, device=device),
                        torch.zeros(len(ids), A, dtype=torch.bool, device=device))
    for i, (a, name) in enumerate(zip(ids, class_names)):
        batch.ids[i, :len(a)] = torch.tensor(a, device=device)
        batch.valid[i, :len(a)] = True
        batch.class_token[i, :class_prefix_length(prompt.candidate_ids(name), a)] = True
    return batch
