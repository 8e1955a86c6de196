"""tools/infer.py on hostile input: inputs the config cannot take, crafted pickles, damaged checkpoints."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from sugar_mm.compat import CheckpointFormatError
from sugar_mm.registry import MODELS
from sugar_mm.utils.safe_pickle import UnsafePickleError
from tests.conftest import tiny_text_encoder_cfg
from tests.integration.helpers import REPO, TINY_CTRGCN
from tests.tools.test_infer_and_visualization import load_tool


@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_inputs')
    cfg_file = str(root / 'tiny.py')
    with open(cfg_file, 'w') as f:
        f.write(f"_base_ = [{osp.join(REPO, 'configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py')!r}]\n"
                f"model = dict(backbone=dict(_delete_=True, **{TINY_CTRGCN!r}), cls_head=dict(in_channels=16, "
                f"text_encoder=dict(_delete_=True, **{tiny_text_encoder_cfg()!r}), "
                f"text_cache_dir={str(root / 'tb')!r}))\n")
    with DefaultScope.overwrite_default_scope('sugar_mm'):  # a module fixture runs outside the per-test scope
        model = MODELS.build(Config.fromfile(cfg_file).model)
    ckpt = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return cfg_file, ckpt


@pytest.mark.parametrize('shape,message', [
    ((30, 20, 2), r'2D keypoints, but the config expects 3D \(2D data into a 3D config\); the model\'s config '
     r'expects keypoints \(M, T, 20, 3\)'),
    ((30, 25, 3), r'25 joints, but the config\'s graph layout has 20'),
])
def test_input_the_config_cannot_take_names_the_file(tiny_model, tmp_path, shape, message):
    """A (T, 20, 2) array failed inside the normaliser with numpy's "shapes (2,) and (3,) not aligned"."""
    cfg, ckpt = tiny_model
    npy = str(tmp_path / 'seq2d.npy')
    np.save(npy, np.random.default_rng(0).normal(size=shape).astype(np.float32))
    with pytest.raises(ValueError, match=message) as info:
        load_tool('tools/infer.py').main([cfg, ckpt, npy])
    assert str(info.value).startswith(f'{npy}: ')


class _OpenPayload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def test_crafted_pkl_input_does_not_run(tiny_model, tmp_path):
    cfg, ckpt = tiny_model
    marker = str(tmp_path / 'payload_ran')
    annos = [dict(frame_dir='s0', label=0, total_frames=20,
                  keypoint=np.random.default_rng(0).normal(size=(1, 20, 20, 3)).astype(np.float32))]
    pkl = str(tmp_path / 'evil.pkl')
    with open(pkl, 'wb') as f:
        pickle.dump(dict(annotations=annos, x=_OpenPayload(marker)), f)
    infer = load_tool('tools/infer.py')
    with pytest.raises(UnsafePickleError, match=r'evil\.pkl: refused to unpickle the global .*open.*--trust-pickle'):
        infer.main([cfg, ckpt, pkl])
    assert not osp.exists(marker)
    results = infer.main([cfg, ckpt, pkl, '--trust-pickle'])  # the explicit opt-in
    assert [r['sample'] for r in results] == ['s0'] and osp.exists(marker)


@pytest.mark.parametrize('content,message', [(b'', 'empty file'), (b'\x13\x37' * 50, 'not a PyTorch checkpoint')])
@pytest.mark.parametrize('trust', [False, True])
def test_damaged_checkpoint_is_named_not_called_untrusted(tiny_model, tmp_path, monkeypatch, content, message,
                                                         trust):
    """An empty .pth was a bare EOFError; random bytes were "untrusted", and --trust-checkpoint then failed with
    "invalid load key"."""
    monkeypatch.setenv('SUGAR_MM_TRUST_CHECKPOINTS', '')  # --trust-checkpoint sets it; restored afterwards
    cfg, _ = tiny_model
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(content)
    npy = str(tmp_path / 'seq.npy')
    np.save(npy, np.ones((5, 20, 3), dtype=np.float32))
    with pytest.raises(CheckpointFormatError, match=message) as info:
        load_tool('tools/infer.py').main([cfg, str(bad), npy] + (['--trust-checkpoint'] if trust else []))
    assert str(bad) in str(info.value) and '--trust-checkpoint' not in str(info.value)
