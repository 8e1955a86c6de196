"""The stage-2 losses through sugar_mm's registry, against reference formulas."""
import pytest
import torch
import torch.nn.functional as F
from sugar_mm.registry import MODELS

import sugar_mm  # noqa: F401


def test_answer_loss_weights_exactly_the_class_tokens():
    torch.manual_seed(0)
    logits, target = torch.randn(7, 11), torch.randint(0, 11, (7, ))
    cls = torch.tensor([1, 1, 0, 0, 1, 0, 0], dtype=torch.bool)
    ce = F.cross_entropy(logits, target, reduction='none')
    plain = MODELS.build(dict(type='AnswerLoss'))
    assert torch.allclose(plain(logits, target, cls), ce.mean())
    w = torch.where(cls, 3.0, 1.0)
    weighted = MODELS.build(dict(type='AnswerLoss', class_token_weight=3.0, loss_weight=0.5))
    assert torch.allclose(weighted(logits, target, cls), 0.5 * (w * ce).sum() / w.sum())
    with pytest.raises(ValueError, match='class_token_weight'):
        MODELS.build(dict(type='AnswerLoss', class_token_weight=0))


def test_name_alignment_loss_is_a_cosine_infonce():
    torch.manual_seed(0)
    action, names, labels = torch.randn(4, 3, 8), F.normalize(torch.randn(5, 8), dim=-1), torch.tensor([0, 4, 2, 2])
    loss = MODELS.build(dict(type='NameAlignmentLoss', temperature=0.2, loss_weight=2.0))
    logits = loss.logits(action, names)
    ref = F.normalize(action.mean(1), dim=-1) @ names.t() / 0.2
    assert torch.allclose(logits, ref, atol=1e-6)
    assert torch.allclose(loss(logits, labels), 2.0 * F.cross_entropy(ref, labels), atol=1e-6)
    for bad in (dict(temperature=0), dict(loss_weight=-1)):
        with pytest.raises(ValueError, match='temperature > 0'):
            MODELS.build(dict(type='NameAlignmentLoss', **bad))
