"""Every shipped config parses, and every stage-2 schedule is consistent with its bridge warm-up."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p.split(osp.sep))


def test_configs_are_found():
    assert len(CONFIGS) > 20


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_parses_and_its_warmup_fits_its_schedule(path):
    cfg = Config.fromfile(path)
    assert 'model' in cfg and cfg.get('custom_imports', {}).get('imports') == ['sugar_mm']
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] == 'BridgeWarmupHook']
    if not hooks:
        return
    max_epochs = cfg.train_cfg.max_epochs
    assert cfg.model.cls_head.get('loss_align') is not None, 'the warm-up trains on the alignment loss'
    if hooks[0].get('bridge_only'):  # a bridge screen: the warm-up is the whole training, at a constant lr
        assert hooks[0]['epochs'] == max_epochs
        assert all(not s.get('by_epoch', True) for s in cfg.param_scheduler), 'no epoch schedule to end'
        return
    assert hooks[0]['epochs'] < max_epochs, 'no LLM epoch after the bridge warm-up'
    by_epoch_ends = [s['end'] for s in cfg.param_scheduler if s.get('by_epoch', True) and 'end' in s]
    assert max(by_epoch_ends) == max_epochs, 'the lr schedule must end with training'
