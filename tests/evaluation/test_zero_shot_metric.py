import numpy as np
import pytest
import torch

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.evaluation import ZeroShotMetric


def sample(score, label, text_label=-1):
    return dict(pred_score=torch.tensor(score, dtype=torch.float), gt_label=torch.tensor([label]),
                pred_text_label=text_label)


def test_gzsl_seen_unseen_and_harmonic_mean():
    metric = ZeroShotMetric(unseen=['c', 'd'], topk=(1, 2))
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    batch = [
        sample([.9, .1, 0, 0], 0),  # seen, right
        sample([.1, .9, 0, 0], 0),  # seen, wrong (top-2 right)
        sample([0, 0, .8, .2], 2),  # unseen, right
        sample([.6, 0, .1, .3], 3),  # unseen, wrong (a seen class wins: the GZSL failure mode)
        sample([0, 0, .3, .7], 3),  # unseen, right
    ]
    metric.process(None, batch)
    out = metric.compute_metrics(metric.results)
    assert out['seen_top1'] == pytest.approx(0.5)
    assert out['unseen_top1'] == pytest.approx(2 / 3)
    assert out['harmonic'] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert out['top1'] == pytest.approx(3 / 5) and out['top2'] == pytest.approx(1.0)


def test_zsl_mode_and_text_labels():
    metric = ZeroShotMetric(unseen='zsl:msr_action3d_15_5:unseen', use_text=True)
    names = load_label_map('zsl:msr_action3d_15_5:unseen')
    metric.dataset_meta = dict(classes=tuple(names))
    metric.process(None, [sample(np.eye(5)[0], 0, text_label=1), sample(np.eye(5)[1], 1, text_label=1)])
    out = metric.compute_metrics(metric.results)
    assert out['mode_zsl'] == 1.0 and out['top1'] == pytest.approx(0.5)  # text-based: one right
    assert 'harmonic' not in out


def test_needs_class_names_and_unseen_classes():
    with pytest.raises(ValueError, match='unseen'):
        ZeroShotMetric(unseen=[])
    metric = ZeroShotMetric(unseen=['x'])
    metric.process(None, [sample([1.0], 0)])
    with pytest.raises(ValueError, match='class names'):
        metric.compute_metrics(metric.results)


def _gzsl_batch():
    return [
        sample([.9, .1, 0, 0], 0),  # seen, right
        sample([.1, .9, 0, 0], 0),  # seen, wrong
        sample([0, 0, .8, .2], 2),  # unseen, right
        sample([.6, 0, .1, .3], 3),  # unseen, wrong until gamma > .3
        sample([0, 0, .3, .7], 3),  # unseen, right
    ]


def test_calibrated_stacking_at_a_given_gamma():
    metric = ZeroShotMetric(unseen=['c', 'd'], calibration=0.4)
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    metric.process(None, _gzsl_batch())
    out = metric.compute_metrics(metric.results)
    assert out['unseen_top1'] == pytest.approx(2 / 3) and out['cs_unseen_top1'] == pytest.approx(1.0)
    assert out['cs_seen_top1'] == pytest.approx(0.5)  # .9 - .4 still beats 0; .1 - .4 loses but was wrong
    assert out['cs_harmonic'] == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    with pytest.raises(ValueError, match='calibration'):
        ZeroShotMetric(unseen=['c'], calibration=0.1, use_text=True)


def test_ausuc_matches_a_brute_force_gamma_sweep():
    """The closed-form sweep equals argmax of explicitly calibrated scores at every breakpoint of gamma."""
    rng = np.random.default_rng(0)
    C, unseen = 8, [5, 6, 7]
    names = [f'c{i}' for i in range(C)]
    # multiples of 1/64 (exact in floating point) make exact ties: samples that switch at the same gamma
    scores = rng.integers(0, 64, (200, C)) / 64
    labels = rng.integers(0, C, 200)
    scores[np.arange(100), labels[:100]] += 0.5  # half the samples are easy
    metric = ZeroShotMetric(unseen=[names[i] for i in unseen])
    metric.dataset_meta = dict(classes=tuple(names))
    metric.process(None, [sample(s, int(y)) for s, y in zip(scores, labels)])
    out = metric.compute_metrics(metric.results)
    got = out['ausuc']

    is_unseen = np.isin(np.arange(C), unseen)
    d = np.where(is_unseen, -np.inf, scores).max(1) - np.where(is_unseen, scores, -np.inf).max(1)
    gammas = np.r_[d.min() - 1, np.unique(d) + 1 / 256]
    points = []
    for g in gammas:
        pred = np.where(is_unseen[None], scores, scores - g).argmax(1)
        seen_mask = ~is_unseen[labels]
        points.append(((pred[~seen_mask] == labels[~seen_mask]).mean(), (pred[seen_mask] == labels[seen_mask]).mean()))
    u, s = np.array(points).T
    expected = float(np.sum((u[1:] - u[:-1]) * (s[1:] + s[:-1]) / 2))
    assert 0 < got < 1
    assert got == pytest.approx(expected, abs=1e-12)
    # the best harmonic mean over the same sweep (an oracle gamma)
    best = max(0.0 if a + b == 0 else 2 * a * b / (a + b) for a, b in zip(u, s))
    assert out['harmonic_best'] == pytest.approx(best) and out['harmonic_best'] >= out['harmonic']


def test_ausuc_is_one_when_seen_and_unseen_separate_perfectly():
    metric = ZeroShotMetric(unseen=['c', 'd'])
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    # every sample right within its side; seen samples have a larger margin than any unseen one
    metric.process(None, [sample([.9, 0, .1, 0], 0), sample([0, .8, 0, .1], 1),
                          sample([.5, 0, .4, 0], 2), sample([0, .6, 0, .55], 3)])
    out = metric.compute_metrics(metric.results)
    assert out['unseen_top1'] == 0.0 and out['ausuc'] == pytest.approx(1.0)
