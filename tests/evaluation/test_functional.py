"""The accuracy functions every metric and head shares (sugar_mm/evaluation/functional.py)."""
import numpy as np
from mmaction.evaluation import top_k_accuracy as mmaction_top_k_accuracy

from sugar_mm.evaluation import mean_class_recall, top_k_accuracy


def test_top_k_accuracy_is_mmactions():
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=(50, 7)), rng.integers(0, 7, 50)
    got = top_k_accuracy(scores, labels, (1, 3, 5))
    assert list(got) == [1, 3, 5]
    assert list(got.values()) == mmaction_top_k_accuracy(scores, labels, (1, 3, 5))
    assert got[1] == float((scores.argmax(1) == labels).mean())
    assert top_k_accuracy(scores, labels, (8, ))[8] == 1.0  # k above the class count: every sample is right
    assert isinstance(got[1], np.float64)  # as mmaction returns it (the heads log it as a float64 tensor)


def test_mean_class_recall_averages_the_ground_truth_classes():
    labels = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 3, 2])  # class 3 is predicted but absent: it adds no zero to the mean
    assert mean_class_recall(pred, labels) == (0.5 + 2 / 3 + 1) / 3
    assert mean_class_recall(list(pred), list(labels)) == mean_class_recall(pred, labels)
