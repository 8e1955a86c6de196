"""Python API in the mmaction style: ``init_recognizer`` / ``inference_recognizer`` (+ feature extraction).

    from sugar_mm.apis import init_recognizer, inference_recognizer
    model = init_recognizer('configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py',
                            'work_dirs/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub/epoch_12.pth')
    result = inference_recognizer(model, keypoints)  # (T, V, C) or (M, T, V, C) array, or a PoseDataset sample
    result.pred_score, result.pred_text
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope

from sugar_mm.models.utils import pool_gcn_features

ConfigType = Union[str, Config]


def _load_config(config: ConfigType, cfg_options: Optional[dict] = None) -> Config:
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def init_recognizer(config: ConfigType,
                    checkpoint: Optional[str] = None,
                    device: Union[str, torch.device] = 'cpu',
                    cfg_options: Optional[dict] = None,
                    class_names: Optional[Sequence[str]] = None,
                    knowledge: Optional[str] = None):
    """Build a recognizer from a config and load a checkpoint (trust policy of ``sugar_mm.compat``).

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): Checkpoint to load; None keeps the initial weights.
        device (str): Device.
        cfg_options (dict, optional): Config overrides.
        class_names (Sequence[str], optional): Evaluate against another label list (zero-shot): the head's
            ``class_names`` are replaced (names without knowledge use their name only).
        knowledge (str, optional): Knowledge file for ``class_names``.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` set.
    """
    from mmengine.runner import load_checkpoint

    from sugar_mm.models.heads.retarget import retarget_head
    from sugar_mm.registry import MODELS
    cfg = _load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'sugar_mm'))
    if class_names is not None:
        if not list(class_names):
            raise ValueError('empty label list')
        retarget_head(cfg.model.cls_head, class_names, knowledge)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=False)
    model.cfg = cfg
    return model.to(device).eval()


def _test_pipeline(cfg: Config) -> Compose:
    dataset = cfg.test_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    return Compose(dataset.pipeline)


def _test_dataset_cfg(cfg: Config):
    dataset = cfg.test_dataloader.dataset
    while 'num_joints' not in dataset and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def check_input_samples(cfg: Config, samples: List[Dict], source: Optional[str] = None) -> None:
    """Check samples against what the model's config expects (joint count, 2D/3D, shape, values) before they
    reach the pipeline, where a mismatch fails deep inside a transform without naming the input.

    Args:
        cfg (Config): The model's config (its test dataset's ``num_joints`` / ``num_coords``).
        samples (list[dict]): PoseDataset sample dicts.
        source (str, optional): The file they came from, named in the message (default: each ``frame_dir``).

    Raises:
        ValueError: naming the input, the problem and the expected keypoint shape.
    """
    from sugar_mm.datasets.skeleton_dataset import check_sample
    dataset = _test_dataset_cfg(cfg)
    joints, coords = dataset.get('num_joints', None), dataset.get('num_coords', None)
    for i, sample in enumerate(samples):
        reason = check_sample(dict(sample, label=0), joints, coords)  # labels play no part in inference
        if reason is not None:
            name = sample.get('frame_dir', f'#{i}') if isinstance(sample, dict) else f'#{i}'
            where = f'{source}: sample {name!r}' if source and len(samples) > 1 else (source or repr(name))
            expected = f'(M, T, {joints or "V"}, {coords or "C"})'
            raise ValueError(f'{where}: {reason}; the model\'s config expects keypoints {expected}')


def keypoints_to_sample(keypoints: np.ndarray, name: str = 'input') -> Dict:
    """``(T, V, C)`` or ``(M, T, V, C)`` keypoints -> a PoseDataset sample dict (checked)."""
    kp = np.asarray(keypoints, dtype=np.float32)
    if kp.ndim == 3:
        kp = kp[None]
    if kp.ndim != 4:
        raise ValueError(f'{name}: keypoints must have shape (T, V, C) or (M, T, V, C), got {kp.shape}')
    if kp.shape[1] == 0:
        raise ValueError(f'{name}: zero-length sequence')
    if not np.isfinite(kp).all():
        raise ValueError(f'{name}: keypoints contain NaN or inf')
    if not kp.any():
        raise ValueError(f'{name}: all-zero skeleton (nothing was tracked)')
    return dict(frame_dir=name, label=-1, keypoint=kp, total_frames=kp.shape[1], start_index=0, modality='Pose')


def inference_recognizer(model, sample: Union[np.ndarray, Dict], name: str = 'input'):
    """Recognize one skeleton sequence.

    Args:
        model: From :func:`init_recognizer`.
        sample (ndarray | dict): Keypoints ``(T, V, C)`` / ``(M, T, V, C)`` or a PoseDataset sample dict.

    Returns:
        ActionDataSample: with ``pred_score`` (and ``pred_text`` etc. for the LLM head).
    """
    data = keypoints_to_sample(sample, name) if not isinstance(sample, dict) else dict(sample)
    data.setdefault('start_index', 0)
    data.setdefault('modality', 'Pose')
    if 'label' not in data:
        data['label'] = -1
    return inference_batch(model, [data])[0]


@torch.no_grad()
def inference_batch(model, samples: List[Dict]):
    """Recognize several PoseDataset samples at once (one forward)."""
    check_input_samples(model.cfg, samples)
    pipeline = _test_pipeline(model.cfg)
    packed = [pipeline(dict(s)) for s in samples]
    batch = model.data_preprocessor(pseudo_collate(packed), False)
    return model(**batch, mode='predict')


@torch.no_grad()
def extract_features(model, dataset, batch_size: int = 32, stage: str = 'backbone') -> Dict[str, np.ndarray]:
    """Pooled encoder features of every sample of ``dataset``: ``dict(feats=(N, C), labels=(N,), ids)``."""
    feats, labels, ids = [], [], []
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
        batch = model.data_preprocessor(pseudo_collate(items), False)
        x, _ = model.extract_feat(batch['inputs'], stage=stage, test_mode=True)
        n = len(items)
        x = pool_gcn_features(x)  # (n * clips, C)
        feats.append(x.view(n, -1, x.shape[-1]).mean(1).cpu().numpy())
        for it in items:
            ds = it['data_samples']
            labels.append(int(ds.gt_label.view(-1)[0]))
            ids.append(ds.metainfo.get('frame_dir', str(len(ids))))
    return dict(feats=np.concatenate(feats), labels=np.array(labels), ids=ids)
