"""``sugar_mm.compat``: each of the six fixes of its module docstring, demonstrated on the real stack.

Every fix is shown twice where that is cheap: the upstream bug is really there (the unpatched code path, reached
through ``__wrapped__`` or a fresh copy of the upstream module, still fails) and the fixed path works. The
distributed fixes (4, 5) and the import-time warnings (6) run in one fresh subprocess.
"""
import argparse
import importlib.util
import inspect
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import textwrap
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn

import sugar_mm  # noqa: F401
from sugar_mm import compat
from sugar_mm.compat import UntrustedCheckpointError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMACTION_DIR = compat._mmaction_dir()


@pytest.fixture(autouse=True)
def _no_global_trust(monkeypatch):
    """No test may depend on (or leak) process-wide trust."""
    monkeypatch.delenv('SUGAR_MM_TRUST_CHECKPOINTS', raising=False)
    monkeypatch.setattr(compat, '_TRUSTED_DIRS', [])


def test_applied_fixes_lists_each_fix():
    applied = compat.applied_fixes()
    assert applied == [
        'known-warnings', 'mmaction-missing-drn', 'mmaction-multimodal-off', 'mmengine-checkpoint-weights-only',
        'mmengine-init-dist-cpu', 'ddp-cpu-device-ids+forward-sync-buffers'
    ]
    applied.append('x')  # a copy: callers cannot corrupt the record
    assert 'x' not in compat.applied_fixes()
    compat.apply_all()  # idempotent: nothing is applied twice
    assert len(compat.applied_fixes()) == 6


# ------------------------------------------------------------------------------------------ 1. missing DRN
def test_fix1_drn_missing_from_wheel_and_placeholder_explains():
    # the bug: the wheel's localizers/__init__ imports a package the wheel does not ship
    with open(osp.join(MMACTION_DIR, 'models', 'localizers', '__init__.py')) as f:
        assert 'from .drn.drn import DRN' in f.read()
    assert not osp.exists(osp.join(MMACTION_DIR, 'models', 'localizers', 'drn', 'drn.py'))

    import mmaction.models  # noqa: F401  (would raise ModuleNotFoundError without the fix)
    import mmaction.models.localizers as loc
    from mmaction.registry import MODELS
    assert hasattr(loc, 'BMN') and hasattr(loc, 'TEM')  # the rest of the package imported
    assert MODELS.get('BMN') is loc.BMN
    with pytest.raises(ImportError, match=r'DRN is not available.*mmaction/models/localizers/drn'):
        MODELS.build(dict(type='DRN'))
    from mmaction.models.localizers.drn.drn import DRN
    with pytest.raises(ImportError, match='Install mmaction2 from source'):
        DRN()


# ------------------------------------------------------------------------------------ 2. multimodal branch
def test_fix2_vindlu_imports_fail_and_multimodal_branch_is_off():
    missing = compat.vindlu_missing_imports()
    assert missing, 'VindLU imports would work here: the fix should not have been applied'
    assert 'transformers.modeling_utils.apply_chunking_to_forward' in missing
    # independent check that the symbol is really gone from transformers 5 (reading the source is cheap,
    # importing transformers.modeling_utils costs seconds) and that VindLU really imports it
    spec = importlib.util.find_spec('transformers.modeling_utils')
    with open(spec.origin, encoding='utf-8') as f:
        assert 'apply_chunking_to_forward' not in f.read()
    vindlu_src = ''
    for fname in os.listdir(osp.join(MMACTION_DIR, 'models', 'multimodal', 'vindlu')):
        if fname.endswith('.py'):
            with open(osp.join(MMACTION_DIR, 'models', 'multimodal', 'vindlu', fname)) as f:
                vindlu_src += f.read()
    assert 'apply_chunking_to_forward' in vindlu_src
    assert compat.vindlu_missing_imports(first_only=True) == missing[:1]

    import mmaction.models.multimodal as mm
    import mmaction.utils.dependency as dependency
    assert dependency.WITH_MULTIMODAL is False
    assert not hasattr(mm, 'VindLUVQA')  # the VindLU package was not imported
    assert 'mmaction.models.multimodal.vindlu' not in sys.modules
    from mmaction.registry import MODELS
    for name in ('VindLUVQA', 'VindLURetrievalMC', 'VindLURetrieval'):
        assert name in MODELS.module_dict
        # (mmaction's placeholder binds the loop variable late: every one names 'VindLURetrieval')
        with pytest.raises(ImportError, match=r'VindLU\w* requires extra multi-modal dependencies'):
            MODELS.build(dict(type=name))


# ------------------------------------------------------------------------------------- 3. checkpoint loading
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


def test_fix3_bug_is_detected_not_assumed(runner_ckpt, monkeypatch):
    from mmengine.runner import checkpoint as ckpt_mod
    upstream = _fresh_upstream_checkpoint_module()
    # the bug itself: upstream's loader rejects mmengine's own Runner checkpoint under torch's weights_only
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(Exception, match='weights_only'):
            upstream.load_from_local(runner_ckpt, map_location='cpu')
    # the detector probes the loader: True on upstream's, False on the patched one
    monkeypatch.setattr(ckpt_mod, 'load_from_local', upstream.load_from_local)
    assert compat.mmengine_checkpoints_fail_to_load() is True
    monkeypatch.undo()
    assert getattr(ckpt_mod.load_from_local, '_sugar_mm_policy', False)
    assert compat.mmengine_checkpoints_fail_to_load() is False


def test_fix3_runner_checkpoint_loads(runner_ckpt):
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    # inside a trusted folder: fully unpickled
    with compat.trusted_checkpoint_dir(osp.dirname(runner_ckpt)):
        assert compat.is_trusted_checkpoint(runner_ckpt)
        ckpt = _load_checkpoint(runner_ckpt, map_location='cpu')
    assert not compat.is_trusted_checkpoint(runner_ckpt)  # the trust ended with the block
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


def test_fix3_tensors_only_checkpoint_loads_weights_only_from_untrusted_folder(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    sd = OrderedDict(weight=torch.arange(6.).reshape(2, 3), bias=torch.tensor([1., -1.]))
    path = str(tmp_path / 'weights.pth')
    torch.save(dict(state_dict=sd, meta=dict(epoch=3, note='plain')), path)
    assert not compat.is_trusted_checkpoint(path)
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
def test_fix3_allow_list_getattr_is_restricted(tmp_path, obj, name):
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


def test_fix3_non_allowed_global_from_untrusted_folder_raises(tmp_path, monkeypatch):
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
    with compat.trusted_checkpoint_dir(str(tmp_path)):
        assert _load_checkpoint(path, map_location='cpu')['meta']['args'].lr == 0.1
        with pytest.raises(UntrustedCheckpointError):
            _load_checkpoint(str(sibling / 'foreign.pth'), map_location='cpu')

    # process-wide trust of a folder
    compat.trust_checkpoint_dir(str(sibling))
    assert _load_checkpoint(str(sibling / 'foreign.pth'), map_location='cpu')['meta']['args'].lr == 0.1
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(path, map_location='cpu')

    # the tools' --trust-checkpoint sets this variable: everything is trusted
    monkeypatch.setenv('SUGAR_MM_TRUST_CHECKPOINTS', '1')
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert isinstance(ckpt['meta']['args'], argparse.Namespace) and ckpt['meta']['args'].lr == 0.1


def test_fix3_runner_trusts_its_own_work_dir(runner_ckpt, tmp_path):
    """``Runner.load_checkpoint`` (used by ``load_from`` and ``--resume``) trusts the run's work_dir only."""
    work_dir = osp.dirname(runner_ckpt)
    own = osp.join(work_dir, 'foreign_in_work_dir.pth')
    _foreign_checkpoint(own)
    runner = _tiny_runner(work_dir, 'compat_ckpt_reader')
    ckpt = runner.load_checkpoint(own)
    assert ckpt['meta']['args'].lr == 0.1
    assert not compat.is_trusted_checkpoint(own)  # trust ends with the call
    assert getattr(type(runner).load_checkpoint, '__wrapped__', None) is not None

    elsewhere = str(tmp_path / 'foreign.pth')
    shutil.copy(own, elsewhere)
    with pytest.raises(UntrustedCheckpointError, match='--trust-checkpoint'):
        runner.load_checkpoint(elsewhere)


def test_fix3_resume_from_work_dir(runner_ckpt):
    """The real ``--resume`` path: a second Runner resumes epoch 1 from the first one's checkpoint."""
    work_dir = osp.dirname(runner_ckpt)
    with compat.trusted_checkpoint_dir(work_dir):
        saved = torch.load(runner_ckpt, map_location='cpu', weights_only=False)
    runner = _tiny_runner(work_dir, 'compat_ckpt_resume', max_epochs=2, resume=True, load_from=runner_ckpt)
    runner.train()
    assert runner.train_loop.epoch == 2 and runner.iter == 4
    # training continued from the resumed weights (epoch 2 started from epoch 1's state)
    resumed = torch.load(osp.join(work_dir, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert resumed['meta']['epoch'] == 2
    assert not torch.equal(resumed['state_dict']['linear.weight'], saved['state_dict']['linear.weight'])


# ------------------------------------------------------------- 4, 5, 6: one fresh process (dist + warnings)
_SUBPROCESS = textwrap.dedent(r'''
    import json, sys, warnings
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('default')  # show everything that the import's own filters let through
        import sugar_mm  # noqa: F401  (compat installs its precise filters first)
        import mmcv.cnn.bricks.transformer  # noqa: F401
        import mmcv.cnn  # noqa: F401
    out['import_warnings'] = [[w.category.__name__, str(w.message)[:300], w.filename] for w in caught]
    out['mmcv_transformer_imported'] = 'mmcv.cnn.bricks.transformer' in sys.modules

    import torch
    import torch.distributed as dist
    from mmengine.dist import init_dist, utils as dist_utils

    # 4. upstream calls torch.cuda.set_device on CPU-only torch
    try:
        dist_utils._init_dist_pytorch.__wrapped__('nccl')
        out['upstream_init_dist'] = 'ok'
    except Exception as e:
        out['upstream_init_dist'] = f'{type(e).__name__}: {e}'
    out['initialized_after_upstream'] = dist.is_initialized()
    init_dist('pytorch', backend='nccl')
    out['backend'] = dist.get_backend()
    out['world_size'] = dist.get_world_size()
    out['rank'] = dist.get_rank()

    # 5. DDP wrapper on a CPU module, as Runner.wrap_model builds it
    from mmengine.model.wrappers import MMDistributedDataParallel
    from torch.nn.parallel import DistributedDataParallel
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    try:
        MMDistributedDataParallel.__init__.__wrapped__(
            MMDistributedDataParallel.__new__(MMDistributedDataParallel), module=module, device_ids=[0],
            broadcast_buffers=False)
        out['upstream_ddp'] = 'ok'
    except Exception as e:
        out['upstream_ddp'] = f'{type(e).__name__}: {e}'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        DistributedDataParallel(torch.nn.Linear(3, 2), broadcast_buffers=False)
    out['raw_ddp_warnings'] = [[w.category.__name__, str(w.message)[:300]] for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ddp = MMDistributedDataParallel(module=module, device_ids=[0], broadcast_buffers=False)
    out['ddp_warnings'] = [[w.category.__name__, str(w.message)[:300]] for w in caught]
    out['ddp_device_ids'] = ddp.device_ids
    out['ddp_forward_sync_buffers'] = ddp.forward_sync_buffers
    x = torch.arange(12.).reshape(4, 3)
    out['ddp_matches_module'] = bool(torch.allclose(ddp(x), module(x)))
    y = ddp(x).sum()
    y.backward()
    out['grad_finite'] = bool(torch.isfinite(module[0].weight.grad).all())
    dist.destroy_process_group()
    print('RESULT ' + json.dumps(out))
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module', autouse=True)
def _fresh_process_started():
    """Started before the first test of this file so that it runs while the in-process tests do."""
    env = dict(os.environ, RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(_free_port()), OMP_NUM_THREADS='1', PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES='')
    env.pop('PYTHONWARNINGS', None)
    proc = subprocess.Popen([sys.executable, '-c', _SUBPROCESS], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


@pytest.fixture(scope='module')
def fresh_process(_fresh_process_started):
    proc = _fresh_process_started
    try:
        stdout, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        pytest.fail(f'the subprocess hung: {stderr[-3000:]}')
    assert proc.returncode == 0, stderr[-3000:]
    line = [x for x in stdout.splitlines() if x.startswith('RESULT ')]
    assert line, stdout[-2000:] + stderr[-2000:]
    return json.loads(line[-1][len('RESULT '):])


def test_fix4_init_dist_on_cpu_uses_gloo(fresh_process):
    r = fresh_process
    # the upstream function fails before creating a process group (no CUDA)
    assert r['upstream_init_dist'] != 'ok' and not r['initialized_after_upstream']
    assert 'CUDA' in r['upstream_init_dist'] or 'cuda' in r['upstream_init_dist']
    assert r['backend'] == 'gloo'
    assert (r['world_size'], r['rank']) == (1, 0)


def test_fix5_ddp_on_cpu_module(fresh_process):
    r = fresh_process
    assert r['upstream_ddp'] != 'ok' and 'device_ids' in r['upstream_ddp']  # upstream rejects CPU + device_ids
    assert any(c == 'FutureWarning' and 'broadcast_buffers' in m for c, m in r['raw_ddp_warnings'])
    assert not any('broadcast_buffers' in m for _, m in r['ddp_warnings']), r['ddp_warnings']
    assert r['ddp_device_ids'] is None
    assert r['ddp_forward_sync_buffers'] is False  # broadcast_buffers=False was passed on, not dropped
    assert r['ddp_matches_module'] and r['grad_finite']


def test_fix6_import_is_quiet(fresh_process):
    r = fresh_process
    assert r['mmcv_transformer_imported']  # the warning's source module was imported in that process
    messages = [m for _, m, _ in r['import_warnings']]
    assert not any('MultiScaleDeformableAttention' in m for m in messages), messages
    assert not any('pkg_resources is deprecated' in m for m in messages), messages
    assert not any('torch.jit' in m for m in messages), messages


def test_fix6_filters_are_precise(monkeypatch):
    import mmcv.cnn.bricks.transformer as tr
    assert 'Fail to import ``MultiScaleDeformableAttention``' in inspect.getsource(tr)  # the upstream warning
    msg = ('Fail to import ``MultiScaleDeformableAttention`` from ``mmcv.ops.multi_scale_deform_attn``, '
           'You should install ``mmcv`` rather than ``mmcv-lite`` if you need this module. ')
    monkeypatch.setattr(compat, '_APPLIED', [])  # re-installing the filters must not touch the real record
    with warnings.catch_warnings(record=True) as caught:
        # exactly sugar_mm's filters (pytest swaps the filter list around collection), then show everything
        warnings.resetwarnings()
        compat._silence_known_warnings()
        assert len(warnings.filters) == len(compat.KNOWN_WARNINGS) == 4
        warnings.simplefilter('always', append=True)
        warnings.warn_explicit(msg, UserWarning, tr.__file__, 33, module='mmcv.cnn.bricks.transformer',
                               registry={})
        # the same text from another module, another mmcv UserWarning and a jit text as a UserWarning still show
        warnings.warn_explicit(msg, UserWarning, 'x.py', 1, module='somewhere.else', registry={})
        warnings.warn_explicit('something else', UserWarning, tr.__file__, 40, module='mmcv.cnn.bricks.transformer',
                               registry={})
        warnings.warn_explicit('`torch.jit.script` is deprecated.', DeprecationWarning, 'y.py', 1, module='m',
                               registry={})
        warnings.warn_explicit('`torch.jit.script` is deprecated.', UserWarning, 'y.py', 2, module='m',
                               registry={})
        warnings.warn_explicit('pkg_resources is deprecated as an API.', UserWarning, 'z.py', 1, module='m',
                               registry={})
        warnings.warn_explicit('pkg_resources is deprecated as an API.', DeprecationWarning, 'z.py', 2,
                               module='m', registry={})
        gc_msg = '`is_gradient_checkpointing` is deprecated, use `supports_gradient_checkpointing`'
        warnings.warn_explicit(gc_msg, FutureWarning, 'mu.py', 1, module='transformers.modeling_utils', registry={})
        warnings.warn_explicit(gc_msg, FutureWarning, 'o.py', 1, module='other', registry={})
    shown = [(w.category.__name__, str(w.message)[:20], w.filename) for w in caught]
    assert shown == [('UserWarning', msg[:20], 'x.py'), ('UserWarning', 'something else', tr.__file__),
                     ('UserWarning', '`torch.jit.script` i', 'y.py'),
                     ('DeprecationWarning', 'pkg_resources is dep', 'z.py'),
                     ('FutureWarning', gc_msg[:20], 'o.py')]
