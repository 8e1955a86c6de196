"""``sugar_mm.compat.checkpoint_loading``: mmengine checkpoints under torch's ``weights_only``, with a trust policy.

The upstream bug is shown on the unpatched code path (a fresh copy of mmengine's checkpoint module still fails)
and the fixed path on real Runner checkpoints: trusted folders, the allow-list, and the real ``--resume``.
"""
import argparse
import importlib.util
import os
import os.path as osp
import shutil
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn

import sugar_mm  # noqa: F401
from sugar_mm import compat
from sugar_mm.compat import UntrustedCheckpointError, checkpoint_loading


@pytest.fixture(autouse=True)
def _no_global_trust(monkeypatch):
    """No test may depend on (or leak) process-wide trust."""
    monkeypatch.delenv('SUGAR_MM_TRUST_CHECKPOINTS', raising=False)
    monkeypatch.setattr(checkpoint_loading, '_TRUSTED_DIRS', [])


def _tiny_runner(work_dir, name, **kwargs):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Tiny(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.linear(inputs)
            return dict(loss=out.pow(2).mean()) if mode == 'loss' else out

    torch.manual_seed(0)
    data = [dict(inputs=torch.full((2, ), float(i))) for i in range(4)]
    return Runner(
        model=Tiny(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False), batch_size=2,
                              collate_fn=dict(type='default_collate'), num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=kwargs.pop('max_epochs', 1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1), logger=None),
        default_scope='mmaction',  # as sugar_mm's configs (mmengine's components resolve through it)
        log_level='ERROR',
        **kwargs)


@pytest.fixture(scope='module')
def runner_ckpt(tmp_path_factory):
    """A real checkpoint written by a tiny mmengine Runner (message hub with HistoryBuffers, numpy values)."""
    work_dir = tmp_path_factory.mktemp('work')
    runner = _tiny_runner(work_dir, 'compat_ckpt_writer')
    runner.train()
    path = osp.join(str(work_dir), 'epoch_1.pth')
    assert osp.isfile(path)
    return path


def _fresh_upstream_checkpoint_module():
    """A separate copy of mmengine.runner.checkpoint, executed from its file: its ``load_from_local`` is
    upstream's, untouched by sugar_mm's patch."""
    from mmengine.runner import checkpoint as ckpt_mod
    spec = importlib.util.spec_from_file_location('_upstream_mmengine_checkpoint', ckpt_mod.__file__)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert not getattr(mod.load_from_local, '_sugar_mm_policy', False)
    return mod


def test_bug_is_detected_not_assumed(runner_ckpt, monkeypatch):
    from mmengine.runner import checkpoint as ckpt_mod
    upstream = _fresh_upstream_checkpoint_module()
    # the bug itself: upstream's loader rejects mmengine's own Runner checkpoint under torch's weights_only
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(Exception, match='weights_only'):
            upstream.load_from_local(runner_ckpt, map_location='cpu')
    # the probe loads through mmengine's CheckpointLoader: True with upstream's local loader, False with the fix
    monkeypatch.setitem(ckpt_mod.CheckpointLoader._schemes, '', upstream.load_from_local)
    assert checkpoint_loading.detect() is True
    monkeypatch.undo()
    assert ckpt_mod.CheckpointLoader._schemes[''] is checkpoint_loading.load_from_local
    assert ckpt_mod.load_from_local is checkpoint_loading.load_from_local
    assert checkpoint_loading.detect() is False


def test_probe_file_stays_in_memory_where_it_can(monkeypatch, tmp_path):
    if hasattr(os, 'memfd_create') and osp.isdir('/proc/self/fd'):
        with checkpoint_loading._probe_file(b'probe') as path:
            assert path.startswith('/proc/self/fd/') and open(path, 'rb').read() == b'probe'
    # elsewhere a temporary file, removed afterwards
    monkeypatch.delattr(os, 'memfd_create', raising=False)
    monkeypatch.setenv('TMPDIR', str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, 'tempdir', None)
    with checkpoint_loading._probe_file(b'probe') as path:
        assert path.startswith(str(tmp_path)) and open(path, 'rb').read() == b'probe'
    assert not os.listdir(tmp_path)


def test_apply_is_idempotent():
    from mmengine.runner import Runner
    from mmengine.runner import checkpoint as ckpt_mod
    method = Runner.load_checkpoint
    checkpoint_loading.apply()
    assert Runner.load_checkpoint is method and not hasattr(method, '__wrapped__')  # the Runner is not patched
    assert ckpt_mod.CheckpointLoader._schemes[''] is checkpoint_loading.load_from_local


def test_runner_checkpoint_loads(runner_ckpt):
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    # inside a trusted folder: fully unpickled
    with checkpoint_loading.trusted_checkpoint_dir(osp.dirname(runner_ckpt)):
        assert checkpoint_loading.is_trusted_checkpoint(runner_ckpt)
        ckpt = _load_checkpoint(runner_ckpt, map_location='cpu')
    assert not checkpoint_loading.is_trusted_checkpoint(runner_ckpt)  # the trust ended with the block
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 2
    buffers = ckpt['message_hub']['log_scalars']
    assert isinstance(buffers['train/loss'], HistoryBuffer)
    assert len(buffers['train/loss'].data[0]) == 2  # one loss per iteration
    assert buffers['train/loss'].mean() == pytest.approx(np.mean(buffers['train/loss'].data[0]))
    assert set(ckpt['state_dict']) == {'linear.weight', 'linear.bias'}

    # outside any trusted folder the same file loads weights-only through the allow-list, identically
    untrusted = _load_checkpoint(runner_ckpt, map_location='cpu')
    torch.testing.assert_close(untrusted['state_dict'], ckpt['state_dict'])
    assert untrusted['message_hub']['log_scalars']['train/loss'].current() == \
        pytest.approx(buffers['train/loss'].current())


def test_tensors_only_checkpoint_loads_weights_only_from_untrusted_folder(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    sd = OrderedDict(weight=torch.arange(6.).reshape(2, 3), bias=torch.tensor([1., -1.]))
    path = str(tmp_path / 'weights.pth')
    torch.save(dict(state_dict=sd, meta=dict(epoch=3, note='plain')), path)
    assert not checkpoint_loading.is_trusted_checkpoint(path)
    ckpt = _load_checkpoint(path, map_location='cpu')
    torch.testing.assert_close(ckpt['state_dict'], sd)
    assert ckpt['meta'] == dict(epoch=3, note='plain')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        _load_checkpoint(str(tmp_path / 'missing.pth'))


class _GetattrPayload:
    """Pickles as ``getattr(obj, name)``: the call a malicious checkpoint would use to reach arbitrary code."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


@pytest.mark.parametrize('obj,name', [('ndarray', 'tofile'), ('HistoryBuffer', '__init__'),
                                      ('HistoryBuffer', '_statistics_methods')])
def test_allow_list_getattr_is_restricted(tmp_path, obj, name):
    """HistoryBuffer's statistics methods pickle as getattr(HistoryBuffer, 'min'); nothing else may use getattr."""
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    target = dict(ndarray=np.ndarray, HistoryBuffer=HistoryBuffer)[obj]
    path = str(tmp_path / 'getattr.pth')
    torch.save(dict(state_dict=OrderedDict(w=torch.ones(1)), meta=dict(x=_GetattrPayload(target, name))), path)
    with pytest.raises(UntrustedCheckpointError, match=f'getattr.*{name}.*--trust-checkpoint'):
        _load_checkpoint(path, map_location='cpu')
    ok = str(tmp_path / 'stats.pth')
    torch.save(dict(meta=dict(m=_GetattrPayload(HistoryBuffer, 'mean'))), ok)
    assert _load_checkpoint(ok, map_location='cpu')['meta']['m'] is HistoryBuffer.mean


def _foreign_checkpoint(path):
    """A checkpoint holding a global outside the allow-list (argparse.Namespace, as old tools saved args)."""
    torch.save(dict(state_dict=OrderedDict(w=torch.ones(2)), meta=dict(args=argparse.Namespace(lr=0.1))), path)


def test_non_allowed_global_from_untrusted_folder_raises(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = str(tmp_path / 'foreign.pth')
    _foreign_checkpoint(path)
    with pytest.raises(UntrustedCheckpointError) as info:
        _load_checkpoint(path, map_location='cpu')
    msg = str(info.value)
    assert path in msg and '--trust-checkpoint' in msg and 'argparse.Namespace' in msg
    assert 'SUGAR_MM_TRUST_CHECKPOINTS=1' in msg

    # a folder whose name merely starts with a trusted one is not trusted
    sibling = tmp_path.parent / (tmp_path.name + '_other')
    sibling.mkdir()
    shutil.copy(path, sibling / 'foreign.pth')
    with checkpoint_loading.trusted_checkpoint_dir(str(tmp_path)):
        assert _load_checkpoint(path, map_location='cpu')['meta']['args'].lr == 0.1
        with pytest.raises(UntrustedCheckpointError):
            _load_checkpoint(str(sibling / 'foreign.pth'), map_location='cpu')

    # process-wide trust of a folder
    compat.trust_checkpoint_dir(str(sibling))  # the public name, as the tools use it
    assert _load_checkpoint(str(sibling / 'foreign.pth'), map_location='cpu')['meta']['args'].lr == 0.1
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(path, map_location='cpu')

    # the tools' --trust-checkpoint sets this variable: everything is trusted
    monkeypatch.setenv('SUGAR_MM_TRUST_CHECKPOINTS', '1')
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert isinstance(ckpt['meta']['args'], argparse.Namespace) and ckpt['meta']['args'].lr == 0.1


class _OpenPayload:
    """Unpickles as ``open(marker, 'w')``: creates ``marker``, the sign that a crafted pickle ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def test_runner_work_dir_grants_no_trust(runner_ckpt, tmp_path):
    """``Runner.load_checkpoint`` (``load_from``, ``--resume``) no longer trusts the run's work_dir: a foreign file
    there loads weights-only, and a crafted one is refused before its payload runs."""
    work_dir = osp.dirname(runner_ckpt)
    own = osp.join(work_dir, 'foreign_in_work_dir.pth')
    _foreign_checkpoint(own)
    runner = _tiny_runner(work_dir, 'compat_ckpt_reader')
    with pytest.raises(UntrustedCheckpointError, match='not trusted.*--trust-checkpoint'):
        runner.load_checkpoint(own)
    marker = str(tmp_path / 'payload_ran')
    evil = osp.join(work_dir, 'evil.pth')
    torch.save(dict(state_dict=OrderedDict(w=torch.ones(1)), meta=dict(x=_OpenPayload(marker))), evil)
    with pytest.raises(UntrustedCheckpointError, match=r'open'):
        runner.load_checkpoint(evil)
    assert not osp.exists(marker)
    # mmengine's own checkpoint in the work dir still loads (weights-only, through the allow-list)
    assert runner.load_checkpoint(runner_ckpt)['meta']['epoch'] == 1


def test_resume_from_work_dir(runner_ckpt):
    """The real ``--resume`` path: a second Runner resumes epoch 1 from the first one's checkpoint."""
    work_dir = osp.dirname(runner_ckpt)
    with checkpoint_loading.trusted_checkpoint_dir(work_dir):
        saved = torch.load(runner_ckpt, map_location='cpu', weights_only=False)
    runner = _tiny_runner(work_dir, 'compat_ckpt_resume', max_epochs=2, resume=True, load_from=runner_ckpt)
    runner.train()
    assert runner.train_loop.epoch == 2 and runner.iter == 4
    # training continued from the resumed weights (epoch 2 started from epoch 1's state)
    resumed = torch.load(osp.join(work_dir, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert resumed['meta']['epoch'] == 2
    assert not torch.equal(resumed['state_dict']['linear.weight'], saved['state_dict']['linear.weight'])


