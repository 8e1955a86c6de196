"""Plots from results and logs: a confusion matrix from a ``--dump`` file and training curves from
mmengine's ``vis_data/scalars.json`` logs."""
from __future__ import annotations

import json
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence

import numpy as np


def load_dump(path: str) -> List[dict]:
    """A ``tools/test.py --dump`` pickle (list of per-sample dicts), with a clear error when it is not one."""
    try:
        with open(path, 'rb') as f:
            results = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise ValueError(f'{path}: not a readable --dump pickle ({e})') from e
    if not isinstance(results, list) or not results or 'pred_score' not in results[0]:
        raise ValueError(f'{path}: expected a list of results with pred_score (made by tools/test.py --dump)')
    return results


def dump_predictions(results: List[dict], use_text: bool = False):
    """``(pred, gt)`` label arrays; ``use_text`` uses the class parsed from the generated answer (-1 = failed)."""
    gt = np.array([int(np.asarray(r['gt_label']).reshape(-1)[0]) for r in results])
    if use_text:
        pred = np.array([int(r.get('pred_text_label', -1)) for r in results])
    else:
        pred = np.array([int(np.asarray(r['pred_score']).argmax()) for r in results])
    return pred, gt


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes + 1) counts; the extra last column counts failed parses (-1)."""
    cm = np.zeros((num_classes, num_classes + 1), dtype=np.int64)
    for p, g in zip(pred, gt):
        cm[g, p if p >= 0 else num_classes] += 1
    return cm


def plot_confusion(results: List[dict], class_names: Sequence[str], out: str, use_text: bool = False,
                   title: Optional[str] = None) -> Dict[str, float]:
    """Row-normalised confusion matrix PNG; returns accuracy and mean class recall."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from sugar_mm.evaluation.functional import mean_class_recall
    pred, gt = dump_predictions(results, use_text)
    K = len(class_names)
    cm = confusion_matrix(pred, gt, K)
    has_fail = cm[:, K].sum() > 0
    cm_plot = cm if has_fail else cm[:, :K]
    norm = cm_plot / cm_plot.sum(1, keepdims=True).clip(min=1)
    acc = float((pred == gt).mean())
    mean_recall = mean_class_recall(pred, gt)
    size = max(6, 0.32 * K + 2)
    fig, ax = plt.subplots(figsize=(size + (0.4 if has_fail else 0), size))
    im = ax.imshow(norm, cmap='Blues', vmin=0, vmax=1)
    cols = list(class_names) + (['(no class)'] if has_fail else [])
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=90, fontsize=7)
    ax.set_yticks(range(K))
    ax.set_yticklabels(class_names, fontsize=7)
    for i in range(K):
        for j in range(len(cols)):
            if cm_plot[i, j]:
                ax.text(j, i, str(cm_plot[i, j]), ha='center', va='center', fontsize=6,
                        color='white' if norm[i, j] > 0.5 else 'black')
    ax.set_xlabel('predicted')
    ax.set_ylabel('truth')
    ax.set_title(title or f'accuracy {100 * acc:.1f}%, mean class recall {100 * mean_recall:.1f}%', fontsize=9)
    fig.colorbar(im, fraction=0.04)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return dict(accuracy=acc, mean_class_recall=mean_recall)


def read_scalars(path: str) -> List[dict]:
    """Records of an mmengine ``scalars.json`` (one JSON object per line), or of every one under a work dir."""
    files = [path]
    if osp.isdir(path):
        import glob
        files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if not files:
            raise FileNotFoundError(f'no */vis_data/scalars.json under {path}')
    records = []
    for fname in files:
        with open(fname) as f:
            for line in f:
                line = line.strip()
                if line:
                    records.append(json.loads(line))
    return records


def plot_curves(runs: Dict[str, List[dict]], keys: Sequence[str], out: str) -> None:
    """One panel per key; one line per run. Training keys are plotted per iteration, val keys per epoch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, records in runs.items():
            pts = [(r.get('step', i), r[key]) for i, r in enumerate(records) if key in r]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, label=name, marker='o' if len(pts) < 40 else None, ms=3)
        ax.set_title(key)
        ax.set_xlabel('epoch' if '/' in key else 'iteration')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
