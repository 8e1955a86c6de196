"""Multi-positive MIL-NCE (sugar_mm/models/losses/mil_nce.py), checked against hand-computed values."""
import math

import pytest
import torch

from sugar_mm.models.losses import mil_nce_loss

LOGITS = [[2.0, 1.0, 0.0, -1.0, 0.5],
          [0.0, 3.0, 1.0, 0.0, -2.0],
          [1.0, 1.0, 1.0, 1.0, 1.0]]
MASK = [[True, False, False, False, True],
        [False, True, True, False, False],
        [False, False, False, True, False]]


def hand_value():
    e = math.exp
    row0 = -math.log((e(2.0) + e(0.5)) / (e(2.0) + e(1.0) + e(0.0) + e(-1.0) + e(0.5)))
    row1 = -math.log((e(3.0) + e(1.0)) / (e(0.0) + e(3.0) + e(1.0) + e(0.0) + e(-2.0)))
    row2 = -math.log(e(1.0) / (5 * e(1.0)))  # = log 5
    return (row0 + row1 + row2) / 3


def test_hand_computed_three_samples():
    expected = hand_value()
    assert expected == pytest.approx(0.6906578609, abs=1e-9)  # the same number, written out
    loss = mil_nce_loss(torch.tensor(LOGITS), torch.tensor(MASK))
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_float64_and_large_logits_are_stable():
    logits = torch.tensor(LOGITS, dtype=torch.float64)
    loss = mil_nce_loss(logits, torch.tensor(MASK))
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(hand_value(), rel=1e-12)
    # shifting a row by a constant changes nothing (log-sum-exp), even at magnitudes where exp overflows
    shifted = torch.tensor(LOGITS) + torch.tensor([[1000.0], [-1000.0], [500.0]])
    assert mil_nce_loss(shifted, torch.tensor(MASK)).item() == pytest.approx(hand_value(), rel=1e-5)


def test_single_positive_is_cross_entropy():
    logits = torch.randn(4, 6)
    target = torch.tensor([0, 3, 5, 2])
    mask = torch.nn.functional.one_hot(target, 6).bool()
    torch.testing.assert_close(mil_nce_loss(logits, mask), torch.nn.functional.cross_entropy(logits, target))


def test_all_positive_gives_zero():
    assert mil_nce_loss(torch.randn(2, 4), torch.ones(2, 4, dtype=torch.bool)).item() == pytest.approx(0, abs=1e-6)


def test_gradient_hand_computed():
    logits = torch.tensor(LOGITS, requires_grad=True)
    mil_nce_loss(logits, torch.tensor(MASK)).backward()
    # d/dl_k = (softmax_all(k) - [k in P] softmax_pos(k)) / B
    lg = torch.tensor(LOGITS)
    m = torch.tensor(MASK)
    soft_all = lg.softmax(1)
    soft_pos = lg.masked_fill(~m, -float('inf')).softmax(1)
    torch.testing.assert_close(logits.grad, (soft_all - soft_pos) / 3)


def test_row_without_positive_raises():
    mask = torch.tensor(MASK)
    mask[1] = False
    with pytest.raises(ValueError, match='positive'):
        mil_nce_loss(torch.tensor(LOGITS), mask)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='differ'):
        mil_nce_loss(torch.zeros(3, 5), torch.ones(3, 4, dtype=torch.bool))
