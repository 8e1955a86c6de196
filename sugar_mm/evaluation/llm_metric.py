"""Metrics of the LLM recognizer: accuracy from generated text and from class scores, parse failures."""
from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from sugar_mm.registry import METRICS
from .functional import mean_class_recall, top_k_accuracy


@METRICS.register_module()
class LLMRecognitionMetric(BaseMetric):
    """Top-1 from the generated text, top-k and mean class accuracy from ``pred_score``, parse-failure rate.

    Reported keys (prefix ``llm/`` by default): ``top1`` / ``top5`` / ``mean1`` (scores; ``mean1`` is
    :func:`mean_class_recall`), ``text_top1`` (the
    class parsed from the generated answer; a failed parse counts as wrong), ``parse_failure_rate`` and
    ``parse_<path>_rate`` for each parse path seen (exact, normalized, nearest, failed), and ``align_top1`` where
    the head reports ``pred_align_score`` (the bridge's alignment classifier alone, the LLM not read).

    Args:
        topk (Sequence[int]): k of the score-based top-k accuracies.
        collect_device (str): As in mmengine.
        prefix (str): Metric name prefix. Defaults to ``'llm'``.
    """

    default_prefix = 'llm'

    def __init__(self, topk: Sequence[int] = (1, 5), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            self.results.append(dict(
                score=ds['pred_score'].float().cpu().numpy(),
                label=int(ds['gt_label'].view(-1)[0]),
                text_label=int(ds.get('pred_text_label', -2)),
                parse_path=ds.get('parse_path', None),
                align=None if ds.get('pred_align_score') is None else int(ds['pred_align_score'].argmax())))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            return {}
        scores = np.stack([r['score'] for r in results])
        labels = np.array([r['label'] for r in results])
        num_classes = scores.shape[1]
        topk = tuple(k for k in self.topk if k <= num_classes)
        out: Dict[str, float] = {}
        for k, acc in top_k_accuracy(scores, labels, topk).items():
            out[f'top{k}'] = float(acc)
        out['mean1'] = mean_class_recall(scores.argmax(1), labels)
        aligned = [(r['align'], r['label']) for r in results if r['align'] is not None]
        if aligned:
            out['align_top1'] = float(np.mean([a == y for a, y in aligned]))
        paths = [r['parse_path'] for r in results if r['parse_path'] is not None]
        if paths:
            text_labels = np.array([r['text_label'] for r in results if r['parse_path'] is not None])
            text_gt = np.array([r['label'] for r in results if r['parse_path'] is not None])
            out['text_top1'] = float((text_labels == text_gt).mean())
            counts = Counter(paths)
            out['parse_failure_rate'] = counts.get('failed', 0) / len(paths)
            for path, n in sorted(counts.items()):
                if path != 'failed':
                    out[f'parse_{path}_rate'] = n / len(paths)
        return out
