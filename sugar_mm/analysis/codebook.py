"""What a VQ neck's discrete codes hold: codebook usage, perplexity and how much the codes say about the class.

A VQ neck (``sugar_mm/models/necks/vq_neck.py``) replaces each (person, frame, joint) feature vector of the encoder
by its nearest code. The training log shows the usage and perplexity of each *batch*; this module measures them
over a whole split with the trained codebook, read-only (``neck.encode``: no EMA update, no dead-code restart), and
adds the normalised mutual information between a token's code and its sample's class -- 0 when the codes are the
same for every class, 1 when a code names the class.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import numpy as np


@dataclass
class CodebookStats:
    """Statistics of the codes of one codebook over a split.

    Attributes:
        num_codes (int): Codebook size K.
        used (int): Codes that occur at least once.
        usage (float): ``used / K``.
        perplexity (float): ``exp`` of the entropy of the code distribution (K when all codes are equally used,
            1 when one code takes every token).
        class_nmi (float): ``I(code; class) / H(class)`` over tokens, in [0, 1].
        num_tokens (int): Tokens counted (samples x clips x persons x frames x joints).
        codes_per_sample (float): Distinct codes of a sample, averaged over samples.
    """

    num_codes: int
    used: int
    usage: float
    perplexity: float
    class_nmi: float
    num_tokens: int
    codes_per_sample: float


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def codebook_stats(codes: List[np.ndarray], labels: np.ndarray, num_codes: int) -> CodebookStats:
    """Statistics of one codebook from the codes of every sample.

    Args:
        codes (list[ndarray]): Per sample, its code indices (any shape; every token counts).
        labels (ndarray): (N,) class of each sample.
        num_codes (int): Codebook size K.
    """
    if len(codes) != len(labels):
        raise ValueError(f'{len(codes)} samples of codes but {len(labels)} labels')
    if not codes:
        raise ValueError('no samples')
    classes = np.unique(labels)
    joint = np.zeros((len(classes), num_codes))  # token counts per (class, code)
    per_sample = []
    for c, y in zip(codes, labels):
        flat = np.asarray(c).reshape(-1)
        if flat.size and (flat.min() < 0 or flat.max() >= num_codes):
            raise ValueError(f'code indices must lie in [0, {num_codes}), got {flat.min()}..{flat.max()}')
        joint[np.searchsorted(classes, y)] += np.bincount(flat, minlength=num_codes)
        per_sample.append(len(np.unique(flat)))
    total = joint.sum()
    p_code = joint.sum(0) / total
    p_class = joint.sum(1) / total
    h_class = _entropy(p_class)
    mi = h_class + _entropy(p_code) - _entropy(joint.reshape(-1) / total)
    used = int((p_code > 0).sum())
    return CodebookStats(num_codes=num_codes, used=used, usage=used / num_codes,
                         perplexity=float(np.exp(_entropy(p_code))),
                         class_nmi=float(mi / h_class) if h_class > 0 else 0.0, num_tokens=int(total),
                         codes_per_sample=float(np.mean(per_sample)))


def codebook_sizes(neck) -> List[int]:
    """Codebook size of each quantiser of a ``VQNeck`` (one) or ``ResidualVQNeck`` (several)."""
    if hasattr(neck, 'quantizers'):
        return [q.num_codes for q in neck.quantizers]
    if hasattr(neck, 'quantizer'):
        return [neck.quantizer.num_codes]
    raise TypeError(f'{type(neck).__name__} is not a VQ neck (no quantizer)')


def collect_codes(model, dataset, batch_size: int = 32) -> Dict[str, object]:
    """The VQ codes of every sample of ``dataset`` through ``model`` (a ``SugarRecognizer`` with a VQ neck).

    Returns:
        dict: ``codes``: per quantiser, a list with each sample's codes ``(clips, M, T, V)``; ``labels`` (N,);
        ``num_codes``: per quantiser, its codebook size.
    """
    import torch
    from mmengine.dataset import pseudo_collate
    if not getattr(model, 'with_neck', False):
        raise ValueError(f'{type(model).__name__} has no neck: codebook statistics need a VQ neck')
    sizes = codebook_sizes(model.neck)
    per_q: List[List[np.ndarray]] = [[] for _ in sizes]
    labels = []
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
            batch = model.data_preprocessor(pseudo_collate(items), False)
            x, _ = model.extract_feat(batch['inputs'], stage='backbone', test_mode=True)
            idx = model.neck.encode(x)  # (n * clips, M, T, V) or (..., Q)
            if idx.dim() == 4:
                idx = idx.unsqueeze(-1)
            idx = idx.view(len(items), -1, *idx.shape[1:]).cpu().numpy()
            for i, it in enumerate(items):
                labels.append(int(it['data_samples'].gt_label.view(-1)[0]))
                for q in range(len(sizes)):
                    per_q[q].append(idx[i, ..., q])
    return dict(codes=per_q, labels=np.array(labels), num_codes=sizes)
