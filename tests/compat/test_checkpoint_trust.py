"""Which checkpoints are fully unpickled: signed ones, never because of where they lie; damaged files named.

The crafted checkpoints unpickle as ``open(marker, 'w')``: each test asserts the marker does not exist.
"""
import argparse
import os
import os.path as osp
import pickle
import shutil
from collections import OrderedDict

import numpy as np
import pytest
import torch

from sugar_mm.compat import CheckpointFormatError, UntrustedCheckpointError, checkpoint_loading
from sugar_mm.utils import checkpoint_signatures
from sugar_mm.utils.checkpoint_signatures import SIGNATURES_FILE, is_signed_checkpoint, sign_checkpoint
from tests.integration.helpers import loader_overrides, run_tool, write_config


@pytest.fixture(autouse=True)
def _no_global_trust(monkeypatch):
    monkeypatch.delenv('SUGAR_MM_TRUST_CHECKPOINTS', raising=False)
    monkeypatch.setattr(checkpoint_loading, '_TRUSTED_DIRS', [])


class _OpenPayload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def _evil(path, marker):
    torch.save(dict(state_dict=OrderedDict(w=torch.ones(1)), meta=dict(x=_OpenPayload(marker))), path)
    return path


def _foreign(path):
    torch.save(dict(state_dict=OrderedDict(w=torch.ones(2)), meta=dict(args=argparse.Namespace(lr=0.1))), path)
    return path


def test_signed_checkpoint_is_trusted_and_only_its_own_bytes(tmp_path, monkeypatch):
    path = _foreign(str(tmp_path / 'epoch_1.pth'))
    assert not checkpoint_loading.is_trusted_checkpoint(path)
    with pytest.raises(UntrustedCheckpointError):
        checkpoint_loading.load_checkpoint_file(path)
    assert sign_checkpoint(path)  # what sugar_mm's CheckpointHook does after each save
    assert checkpoint_loading.load_checkpoint_file(path)['meta']['args'].lr == 0.1

    # the signature names the file's bytes: a copy elsewhere with the signatures file is still this user's
    other = tmp_path / 'copy'
    other.mkdir()
    shutil.copy(path, other / 'epoch_1.pth')
    shutil.copy(tmp_path / SIGNATURES_FILE, other / SIGNATURES_FILE)
    assert is_signed_checkpoint(str(other / 'epoch_1.pth'))
    # ... but another file under the signed name, or a renamed one, is not
    marker = str(tmp_path / 'payload_ran')
    _evil(str(other / 'epoch_1.pth'), marker)
    assert not is_signed_checkpoint(str(other / 'epoch_1.pth'))
    with pytest.raises(UntrustedCheckpointError):
        checkpoint_loading.load_checkpoint_file(str(other / 'epoch_1.pth'))
    assert not osp.exists(marker)
    os.replace(path, tmp_path / 'epoch_2.pth')
    assert not is_signed_checkpoint(str(tmp_path / 'epoch_2.pth'))


def test_signatures_written_without_the_key_grant_nothing(tmp_path, monkeypatch):
    """Whoever hands over a checkpoint can hand over a signatures file too; without this user's key it fails."""
    marker = str(tmp_path / 'payload_ran')
    folder = tmp_path / 'from_someone'
    folder.mkdir()
    evil = _evil(str(folder / 'evil.pth'), marker)
    monkeypatch.setenv('SUGAR_MM_KEY_FILE', str(tmp_path / 'their_key'))
    assert sign_checkpoint(evil)  # signed with *their* key
    monkeypatch.setenv('SUGAR_MM_KEY_FILE', str(tmp_path / 'my_key'))
    assert not is_signed_checkpoint(evil)
    with pytest.raises(UntrustedCheckpointError):
        checkpoint_loading.load_checkpoint_file(evil)
    assert not osp.exists(marker)
    assert not osp.exists(tmp_path / 'my_key')  # verifying never makes a key
    assert oct(os.stat(tmp_path / 'their_key').st_mode & 0o777) == '0o600'


def test_key_file_default_is_the_users_config(monkeypatch, tmp_path):
    monkeypatch.delenv('SUGAR_MM_KEY_FILE')
    monkeypatch.setenv('XDG_CONFIG_HOME', str(tmp_path))
    assert checkpoint_signatures.key_file() == str(tmp_path / 'sugar_mm' / 'checkpoint_signing_key')


@pytest.mark.parametrize('content,message', [
    (b'', r'empty file \(0 bytes\), not a checkpoint'),
    (bytes(np.random.default_rng(0).integers(1, 127, 200, dtype=np.uint8)), 'not a PyTorch checkpoint'),
    (b'\x80\x02' + bytes(range(1, 120)), 'not a readable PyTorch checkpoint.*truncated or corrupt'),
    ('truncated', 'not a readable PyTorch checkpoint.*truncated or corrupt'),
])
@pytest.mark.parametrize('trusted', [False, True])
def test_damaged_files_are_named_and_not_called_untrusted(tmp_path, monkeypatch, content, message, trusted):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = str(tmp_path / 'bad.pth')
    if content == 'truncated':
        _foreign(path)
        content = open(path, 'rb').read()[:300]
    with open(path, 'wb') as f:
        f.write(content)
    if trusted:  # --trust-checkpoint
        monkeypatch.setenv('SUGAR_MM_TRUST_CHECKPOINTS', '1')
    with pytest.raises(CheckpointFormatError, match=message) as info:
        _load_checkpoint(path, map_location='cpu')
    assert path in str(info.value) and '--trust-checkpoint' not in str(info.value)


def _tiny_pose_pickle(path, n=8):
    rng = np.random.default_rng(0)
    annos = [dict(frame_dir=f's{i:02d}', label=i % 20, total_frames=20,
                  keypoint=rng.uniform(-1, 1, (1, 20, 20, 3)).astype(np.float32)) for i in range(n)]
    with open(path, 'wb') as f:
        pickle.dump(dict(annotations=annos, split=dict(xsub_train=[a['frame_dir'] for a in annos],
                                                       xsub_val=[a['frame_dir'] for a in annos])), f)
    return str(path)


TINY_STGCN = '''
model = dict(backbone=dict(base_channels=8, num_stages=3, inflate_stages=[2], down_stages=[2]),
             cls_head=dict(in_channels=16))
'''


def test_test_tool_work_dir_does_not_make_a_checkpoint_trusted(tmp_path):
    """The issue's case: `tools/test.py CFG /x/evil.pth --work-dir /x` ran the pickle; now it is refused. A
    checkpoint this user's run signed still loads fully through the same tool."""
    ann = _tiny_pose_pickle(tmp_path / 'tiny.pkl')
    cfg = write_config(tmp_path, 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py',
                       TINY_STGCN + loader_overrides(ann))
    x = tmp_path / 'x'
    x.mkdir()
    marker = str(tmp_path / 'payload_ran')
    evil = _evil(str(x / 'evil.pth'), marker)
    proc = run_tool(['tools/test.py', cfg, evil, '--work-dir', str(x)], check=False, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0 and 'UntrustedCheckpointError' in log and 'not trusted' in log, log[-3000:]
    assert not osp.exists(marker)

    signed = _foreign(str(x / 'epoch_1.pth'))  # needs full unpickling (argparse.Namespace)
    assert sign_checkpoint(signed)
    proc = run_tool(['tools/test.py', cfg, signed, '--work-dir', str(x)], timeout=600)
    assert 'acc/top1' in proc.stdout + proc.stderr
