"""Does the LLM recognizer read its action list? Top-1 of one checkpoint on several lists of the same classes.

The lists (:func:`probe_lists`): the dataset's list (``canonical``), ``permutations`` random orders of it
(``perm1``...) and the list with ``distractors`` names of other label maps interleaved at random positions (the
dataset's names keep their order: only the distractors are new). The action tokens of each test sample are
computed once; each list costs one prompt forward and one class scoring per batch (``LLMHead.score_classes``),
clips averaged in probability as at test time. A prediction is right when the top-scored *name* is the sample's
class name; on the distractor list a wrong answer may be a distractor (``distractor_rate``). With an alignment
loss (``NameAlignmentLoss``) the bridge alone is a classifier too (mean action token vs the LLM's embeddings of
the names, no LLM run): its top-1 on the dataset's list is reported as ``bridge_align``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import torch


@dataclass
class ListResult:
    """Top-1 on one list.

    Attributes:
        names (list[str]): The list.
        top1 (float): Fraction of samples whose top-scored name is their class.
        distractor_rate (float): Fraction whose top-scored name is not a class of the dataset.
    """

    names: List[str]
    top1: float = 0.0
    distractor_rate: float = 0.0
    hits: int = field(default=0, repr=False)
    outside: int = field(default=0, repr=False)


def probe_lists(class_names: Sequence[str], permutations: int = 5, distractors: int = 100,
                seed: int = 0) -> Dict[str, List[str]]:
    """``canonical``, ``perm1..permN`` and ``distractors{D}`` lists for a dataset's classes."""
    from sugar_mm.models.llm.action_lists import distractor_pool
    rng = random.Random(seed)
    names = list(class_names)
    lists = {'canonical': names}
    for i in range(permutations):
        perm = names[:]
        rng.shuffle(perm)
        lists[f'perm{i + 1}'] = perm
    if distractors:
        pool = distractor_pool('all', exclude=names)
        if distractors > len(pool):
            raise ValueError(f'only {len(pool)} distractor names exist outside the list, {distractors} asked')
        extra = rng.sample(pool, distractors)
        is_name = [True] * len(names) + [False] * distractors
        rng.shuffle(is_name)  # where the dataset's names go; they keep their order
        it_names, it_extra = iter(names), iter(extra)
        mixed = [next(it_names) if flag else next(it_extra) for flag in is_name]
        lists[f'distractors{distractors}'] = mixed
    return lists


@torch.no_grad()
def run_probe(model, dataset, lists: Dict[str, List[str]], batch_size: int = 48) -> Dict[str, ListResult]:
    """Top-1 of ``model`` (a SugarRecognizer with an ``LLMHead``, eval mode) on ``dataset`` for every list."""
    from mmengine.dataset import pseudo_collate
    head = model.cls_head
    truth_names = list(head.class_names)
    results = {key: ListResult(list(names)) for key, names in lists.items()}
    known = set(truth_names)
    n_total = 0
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
        batch = model.data_preprocessor(pseudo_collate(items), False)
        feats, _ = model.extract_feat(batch['inputs'], test_mode=True)
        action = head.action_tokens(feats)
        n = len(items)
        clips = action.shape[0] // n
        truth = [truth_names[int(it['data_samples'].gt_label.view(-1)[0])] for it in items]
        scored = {key: head.score_classes(action, names) for key, names in lists.items()}
        if head.loss_align is not None:
            results.setdefault('bridge_align', ListResult(truth_names))
            scored['bridge_align'] = head.loss_align.logits(
                action, head.class_name_embeddings(truth_names, action.device))
        for key, scores in scored.items():
            names = results[key].names
            probs = scores.float().softmax(-1).view(n, clips, -1).mean(1)
            picked = [names[i] for i in probs.argmax(-1).tolist()]
            res = results[key]
            res.hits += sum(p == t for p, t in zip(picked, truth))
            res.outside += sum(p not in known for p in picked)
        n_total += n
    for res in results.values():
        res.top1, res.distractor_rate = res.hits / n_total, res.outside / n_total
    return results
