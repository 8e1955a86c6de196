"""fit_linear_probe (sugar_mm/analysis/linear_probe.py) on synthetic features."""
import numpy as np
import pytest

from sugar_mm.analysis.linear_probe import fit_linear_probe


def test_separable_classes_are_found_and_noise_is_not():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 16)) * 3
    y_train, y_test = rng.integers(0, 4, 200), rng.integers(0, 4, 100)
    x_train = centres[y_train] + rng.normal(size=(200, 16))
    x_test = centres[y_test] + rng.normal(size=(100, 16))
    good = fit_linear_probe(x_train, y_train, x_test, y_test)
    assert good.test_top1 > 0.95 and good.num_train == 200 and good.num_test == 100
    noise = fit_linear_probe(rng.normal(size=(200, 16)), y_train, rng.normal(size=(100, 16)), y_test)
    assert noise.test_top1 < 0.5
    with pytest.raises(ValueError, match='one C'):
        fit_linear_probe(x_train, y_train, x_test[:, :8], y_test)


def test_split_dataset_cfg_reads_the_training_split_through_the_test_pipeline():
    from sugar_mm.analysis.builders import load_cfg, split_dataset_cfg
    cfg = load_cfg('configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py')
    train, test = split_dataset_cfg(cfg, 'train'), split_dataset_cfg(cfg, 'test')
    assert train['split'] == cfg.train_dataloader.dataset.split and train['test_mode']
    assert train['pipeline'] == test['pipeline'] == cfg.test_dataloader.dataset.pipeline
    with pytest.raises(ValueError, match='split'):
        split_dataset_cfg(cfg, 'val')
