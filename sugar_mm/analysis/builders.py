"""A config, its model with random weights and real batches, for measurements that do not need trained weights."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

from mmengine.config import Config


def load_cfg(path: str, overrides: Optional[dict] = None) -> Config:
    """Load a config and merge ``overrides`` (``{'a.b': value}``, as ``--cfg-options``) into it."""
    cfg = Config.fromfile(path)
    if overrides:
        cfg.merge_from_dict(overrides)
    return cfg


def build_model(cfg: Config):
    """The config's model, initialised; ``encoder_checkpoint`` is dropped (costs do not depend on the weights)."""
    from sugar_mm.registry import MODELS
    model_cfg = dict(cfg.model)
    model_cfg.pop('encoder_checkpoint', None)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def real_batch(cfg: Config, n: int, split: str = 'train') -> Tuple[List[Any], Any, Callable]:
    """``n`` samples through the config's pipeline (``split``: ``'train'`` or the test loader otherwise).

    Returns:
        tuple: The samples, the dataset, and :func:`mmengine.dataset.pseudo_collate` to collate them.
    """
    from sugar_mm.registry import DATASETS
    from mmengine.dataset import pseudo_collate
    loader = cfg.train_dataloader if split == 'train' else cfg.test_dataloader
    ds = DATASETS.build(loader.dataset)
    return [ds[i % len(ds)] for i in range(n)], ds, pseudo_collate


def split_dataset_cfg(cfg: Config, split: str = 'test') -> dict:
    """The dataset config of a split read through the *test* pipeline (no augmentation): ``'test'`` is the config's
    test set, ``'train'`` its training set with the test pipeline (``test_mode``, as feature extraction wants)."""
    test = dict(cfg.test_dataloader.dataset)
    if split == 'test':
        return test
    if split != 'train':
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return dict(cfg.train_dataloader.dataset, pipeline=test['pipeline'], test_mode=True)
