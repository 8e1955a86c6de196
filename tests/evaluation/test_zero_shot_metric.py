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
