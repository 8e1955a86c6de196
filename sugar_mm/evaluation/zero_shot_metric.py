"""Zero-shot metrics: ZSL (unseen classes only) top-k, GZSL seen/unseen accuracy and their harmonic mean."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.registry import METRICS
from .functional import mean_class_recall, top_k_accuracy


@METRICS.register_module()
class ZeroShotMetric(BaseMetric):
    """Accuracy split by seen and unseen classes.

    The evaluated label list is the dataset's ``classes`` (``tools/test.py --classes`` sets it). Classes named in
    ``unseen`` are unseen, the others seen.

    * ZSL (every class of the list unseen): ``top1``, ``top5``, ``mean1`` over the unseen classes.
    * GZSL (seen and unseen classes compete): additionally ``seen_top1`` (accuracy on samples of seen classes),
      ``unseen_top1`` and their harmonic mean ``harmonic``; ``ausuc``, the area under the seen-unseen accuracy
      curve traced by calibrated stacking (Chao et al., ECCV 2016: a constant gamma subtracted from every seen
      class's score, swept over all values; 1 = perfect), which measures seen/unseen separability independently
      of the seen-class bias; ``harmonic_best``, the largest harmonic mean on that curve (calibrated stacking
      at the gamma best for this test set: an upper bound of what calibration can give, not a tuned result);
      with ``calibration=gamma``, also ``cs_seen_top1``, ``cs_unseen_top1`` and ``cs_harmonic`` at that gamma
      (choose gamma on validation data, not on the test set).

    Args:
        unseen (str | Sequence[str]): Unseen class names, a label-map file, or ``'zsl:<split>:unseen'``.
        topk (Sequence[int]): k of the top-k accuracies.
        use_text (bool): Score the class parsed from generated text (LLM head) instead of ``pred_score``.
        calibration (float, optional): Calibrated-stacking gamma for the ``cs_*`` metrics (in units of
            ``pred_score``). Scores only, not generated text.
        prefix (str): Metric prefix. Defaults to ``'zsl'``.
    """

    default_prefix = 'zsl'

    def __init__(self, unseen: Union[str, Sequence[str]], topk: Sequence[int] = (1, 5), use_text: bool = False,
                 calibration: Optional[float] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.unseen = set(load_label_map(unseen) if isinstance(unseen, str) else unseen)
        if not self.unseen:
            raise ValueError('ZeroShotMetric needs at least one unseen class')
        self.topk = tuple(topk)
        self.use_text = use_text
        if calibration is not None and use_text:
            raise ValueError('calibration applies to pred_score, not to generated text (use_text=True)')
        self.calibration = calibration

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            self.results.append(dict(score=ds['pred_score'].float().cpu().numpy(),
                                     label=int(ds['gt_label'].view(-1)[0]),
                                     text_label=int(ds.get('pred_text_label', -1))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        classes = list((self.dataset_meta or {}).get('classes') or [])
        if not classes:
            raise ValueError('ZeroShotMetric needs the dataset\'s class names (SkeletonDataset(classes=...))')
        scores = np.stack([r['score'] for r in results])
        labels = np.array([r['label'] for r in results])
        pred = np.array([r['text_label'] for r in results]) if self.use_text else scores.argmax(1)
        is_unseen_class = np.array([c in self.unseen for c in classes])
        topk = tuple(k for k in self.topk if k <= len(classes))
        out: Dict[str, float] = {f'top{k}': float(acc) for k, acc in top_k_accuracy(scores, labels, topk).items()}
        out['top1'] = float((pred == labels).mean())
        out['mean1'] = mean_class_recall(pred, labels)
        sample_unseen = is_unseen_class[labels]
        if sample_unseen.all():
            out['mode_zsl'] = 1.0
            return out
        if sample_unseen.any():
            seen_acc = float((pred[~sample_unseen] == labels[~sample_unseen]).mean())
            unseen_acc = float((pred[sample_unseen] == labels[sample_unseen]).mean())
            out['seen_top1'] = seen_acc
            out['unseen_top1'] = unseen_acc
            out['harmonic'] = harmonic(seen_acc, unseen_acc)
            if not self.use_text:
                curve_seen, curve_unseen = seen_unseen_curve(scores, labels, is_unseen_class)
                out['ausuc'] = _trapezoid(curve_seen, curve_unseen)
                out['harmonic_best'] = max(harmonic(a, b) for a, b in zip(curve_seen, curve_unseen))
            if self.calibration is not None:
                cal = np.where(is_unseen_class[None], scores, scores - self.calibration).argmax(1)
                cs_seen = float((cal[~sample_unseen] == labels[~sample_unseen]).mean())
                cs_unseen = float((cal[sample_unseen] == labels[sample_unseen]).mean())
                out.update(cs_seen_top1=cs_seen, cs_unseen_top1=cs_unseen, cs_harmonic=harmonic(cs_seen, cs_unseen))
        return out


def harmonic(a: float, b: float) -> float:
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.trapezoid(y, x) if hasattr(np, 'trapezoid') else np.trapz(y, x))


def seen_unseen_auc(scores: np.ndarray, labels: np.ndarray, is_unseen_class: np.ndarray) -> float:
    """Area under the seen-unseen accuracy curve of calibrated stacking (Chao et al. 2016); see
    :func:`seen_unseen_curve`."""
    return _trapezoid(*seen_unseen_curve(scores, labels, is_unseen_class))


def seen_unseen_curve(scores: np.ndarray, labels: np.ndarray,
                      is_unseen_class: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The seen-unseen accuracy curve of calibrated stacking (Chao et al. 2016).

    With gamma subtracted from the seen classes' scores, a sample is predicted as its best unseen class when
    ``gamma > d = max_seen - max_unseen`` and as its best seen class otherwise. Sweeping gamma over every ``d``
    traces (unseen accuracy, seen accuracy) from (0, seen-only accuracy) to (unseen-only accuracy, 0); the
    area is taken by the trapezoid rule.

    Args:
        scores (ndarray): (N, C) class scores.
        labels (ndarray): (N,) true labels.
        is_unseen_class (ndarray): (C,) bool.

    Returns:
        tuple[ndarray, ndarray]: seen and unseen accuracy at every distinct gamma, in the order gamma grows.
    """
    seen_scores = np.where(is_unseen_class[None], -np.inf, scores)
    unseen_scores = np.where(is_unseen_class[None], scores, -np.inf)
    d = seen_scores.max(1) - unseen_scores.max(1)
    sample_unseen = is_unseen_class[labels]
    seen_ok = (seen_scores.argmax(1) == labels) & ~sample_unseen  # right when the seen side wins
    unseen_ok = (unseen_scores.argmax(1) == labels) & sample_unseen  # right when the unseen side wins
    n_seen, n_unseen = max(1, int((~sample_unseen).sum())), max(1, int(sample_unseen.sum()))
    order = np.argsort(d, kind='stable')  # as gamma grows past d[i], sample i switches to its unseen side
    d_sorted = d[order]
    ends = np.r_[np.nonzero(np.diff(d_sorted))[0], len(d) - 1]  # samples with equal d switch together
    seen_acc = np.r_[seen_ok.sum(), seen_ok.sum() - np.cumsum(seen_ok[order])[ends]] / n_seen
    unseen_acc = np.r_[0, np.cumsum(unseen_ok[order])[ends]] / n_unseen
    return seen_acc, unseen_acc
