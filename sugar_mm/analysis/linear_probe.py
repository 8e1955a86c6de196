"""How much of the classes a frozen encoder knows: a linear probe on its pooled features.

The stage-1 head reads the encoder through one fixed readout (text similarity, or a linear classifier trained with
the encoder); the LLM through the bridge. A logistic regression fitted on the frozen, pooled features of the
training split (test-time clips, averaged) and tested on the test split bounds what a linear readout of the same
features can reach, so "the LLM loses what the encoder knows" can be told apart from "the encoder does not know".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ProbeResult:
    """Linear-probe accuracies.

    Attributes:
        train_top1 (float): On the training features (how separable they are).
        test_top1 (float): On the test features.
        num_train, num_test (int): Sample counts.
    """

    train_top1: float
    test_top1: float
    num_train: int
    num_test: int


def fit_linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                     C: float = 1.0, seed: int = 0) -> ProbeResult:
    """Standardise with the training statistics, fit a multinomial logistic regression, score both splits.

    Args:
        train_x, test_x (ndarray): (N, C) features.
        train_y, test_y (ndarray): (N,) labels.
        C (float): Inverse L2 strength (scikit-learn's ``C``).
        seed (int): The solver's random state.
    """
    from sklearn.linear_model import LogisticRegression
    if train_x.ndim != 2 or train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f'features must be (N, C) with one C, got {train_x.shape} and {test_x.shape}')
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=5000, random_state=seed)
    clf.fit((train_x - mean) / std, train_y)
    return ProbeResult(float(clf.score((train_x - mean) / std, train_y)),
                       float(clf.score((test_x - mean) / std, test_y)), len(train_y), len(test_y))
