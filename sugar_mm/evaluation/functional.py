"""Accuracy functions shared by the metrics, the heads' training logs and the plots."""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
from mmaction.evaluation import top_k_accuracy as _mmaction_top_k_accuracy


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, topk: Sequence[int]) -> Dict[int, float]:
    """Top-k accuracies (mmaction's ``top_k_accuracy``, so numbers match its ``AccMetric``).

    Args:
        scores (ndarray): ``(N, C)`` class scores.
        labels (ndarray): ``(N,)`` true labels.
        topk (Sequence[int]): The k values; a k above C counts every sample as right.

    Returns:
        dict[int, float]: ``{k: accuracy}`` in ``topk`` order (numpy float64 values).
    """
    topk = tuple(topk)
    return dict(zip(topk, _mmaction_top_k_accuracy(scores, labels, topk)))


def mean_class_recall(pred: np.ndarray, labels: np.ndarray) -> float:
    """Mean over the ground-truth classes of their recall (the "mean per-class accuracy" of Toyota Smarthome).

    Unlike mmaction's ``mean_class_accuracy``, a class that is predicted but absent from the ground truth does
    not add a zero to the mean.

    Args:
        pred (ndarray): ``(N,)`` predicted labels.
        labels (ndarray): ``(N,)`` true labels.

    Returns:
        float: In [0, 1].
    """
    pred, labels = np.asarray(pred), np.asarray(labels)
    return float(np.mean([(pred[labels == c] == c).mean() for c in np.unique(labels)]))
