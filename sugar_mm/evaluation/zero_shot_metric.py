"""Zero-shot metrics: ZSL (unseen classes only) top-k, GZSL seen/unseen accuracy and their harmonic mean."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

from sugar_mm.datasets.label_maps import load_label_map


@METRICS.register_module()
class ZeroShotMetric(BaseMetric):
    """Accuracy split by seen and unseen classes.

    The evaluated label list is the dataset's ``classes`` (``tools/test.py --classes`` sets it). Classes named in
    ``unseen`` are unseen, the others seen.

    * ZSL (every class of the list unseen): ``top1``, ``top5``, ``mean1`` over the unseen classes.
    * GZSL (seen and unseen classes compete): additionally ``seen_top1`` (accuracy on samples of seen classes),
      ``unseen_top1`` and their harmonic mean ``harmonic``.

    Args:
        unseen (str | Sequence[str]): Unseen class names, a label-map file, or ``'zsl:<split>:unseen'``.
        topk (Sequence[int]): k of the top-k accuracies.
        use_text (bool): Score the class parsed from generated text (LLM head) instead of ``pred_score``.
        prefix (str): Metric prefix. Defaults to ``'zsl'``.
    """

    default_prefix = 'zsl'

    def __init__(self, unseen: Union[str, Sequence[str]], topk: Sequence[int] = (1, 5), use_text: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.unseen = set(load_label_map(unseen) if isinstance(unseen, str) else unseen)
        if not self.unseen:
            raise ValueError('ZeroShotMetric needs at least one unseen class')
        self.topk = tuple(topk)
        self.use_text = use_text

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
        order = np.argsort(-scores, axis=1)
        out: Dict[str, float] = {}
        for k in self.topk:
            if k <= len(classes):
                out[f'top{k}'] = float((order[:, :k] == labels[:, None]).any(1).mean())
        out['top1'] = float((pred == labels).mean())
        present = np.unique(labels)
        out['mean1'] = float(np.mean([(pred[labels == c] == c).mean() for c in present]))
        sample_unseen = is_unseen_class[labels]
        if sample_unseen.all():
            out['mode_zsl'] = 1.0
            return out
        if sample_unseen.any():
            seen_acc = float((pred[~sample_unseen] == labels[~sample_unseen]).mean())
            unseen_acc = float((pred[sample_unseen] == labels[sample_unseen]).mean())
            out['seen_top1'] = seen_acc
            out['unseen_top1'] = unseen_acc
            out['harmonic'] = 0.0 if seen_acc + unseen_acc == 0 else 2 * seen_acc * unseen_acc / (seen_acc + unseen_acc)
        return out
