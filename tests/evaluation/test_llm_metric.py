import numpy as np
import pytest
import torch

from sugar_mm.evaluation import LLMRecognitionMetric


def sample(score, label, text_label=None, path=None):
    d = dict(pred_score=torch.tensor(score, dtype=torch.float), gt_label=torch.tensor([label]))
    if path is not None:
        d.update(pred_text_label=text_label, parse_path=path)
    return d


def test_scores_text_accuracy_and_parse_failures():
    metric = LLMRecognitionMetric(topk=(1, 2))
    batch = [
        sample([0.7, 0.2, 0.1], 0, 0, 'exact'),  # right by score and text
        sample([0.2, 0.5, 0.3], 2, -1, 'failed'),  # wrong by score (top-2 right), text failed (counted wrong)
        sample([0.1, 0.1, 0.8], 2, 1, 'nearest'),  # right by score, wrong by text
        sample([0.3, 0.4, 0.3], 1, 1, 'normalized'),
    ]
    metric.process(None, batch)
    out = metric.compute_metrics(metric.results)
    assert out['top1'] == pytest.approx(3 / 4)
    assert out['top2'] == pytest.approx(1.0)
    assert out['text_top1'] == pytest.approx(2 / 4)
    assert out['parse_failure_rate'] == pytest.approx(1 / 4)
    assert out['parse_exact_rate'] == pytest.approx(1 / 4)
    # mean class accuracy: class 0 1/1, class 1 1/1, class 2 1/2
    assert out['mean1'] == pytest.approx(np.mean([1, 1, 0.5]))
    assert not any('loss' in k for k in out)


def test_without_generation_only_score_metrics():
    metric = LLMRecognitionMetric()
    metric.process(None, [sample([0.1, 0.9], 1), sample([0.6, 0.4], 1)])
    out = metric.compute_metrics(metric.results)
    assert out == {'top1': 0.5, 'mean1': pytest.approx(0.5)}  # top5 > 2 classes is skipped


def test_alignment_classifier_accuracy_when_the_head_reports_it():
    metric = LLMRecognitionMetric()
    batch = [sample([0.9, 0.1], 0), sample([0.9, 0.1], 1), sample([0.2, 0.8], 1)]
    for d, align in zip(batch, ([0.4, 0.6], [0.3, 0.7], [0.6, 0.4])):  # the bridge alone: wrong, right, wrong
        d['pred_align_score'] = torch.tensor(align)
    metric.process(None, batch)
    out = metric.compute_metrics(metric.results)
    assert out['align_top1'] == pytest.approx(1 / 3) and out['top1'] == pytest.approx(2 / 3)
