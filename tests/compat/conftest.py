"""Fresh interpreters for the ``sugar_mm.compat`` tests: the state right after (or before) ``import sugar_mm``.

* ``fresh_probe``: each fix module's ``detect()`` in an interpreter where nothing was applied yet (the modules
  are imported without running ``sugar_mm/__init__.py``), then the real ``import sugar_mm``: what it applied,
  and ``detect()`` again. Runs on the machine as it is (a GPU, if any, stays visible).
* ``fresh_process``: a CPU-only interpreter (``CUDA_VISIBLE_DEVICES=''``) whose first import is ``sugar_mm``:
  the warnings that import lets through, then fixes 5 and 6 (``init_dist`` and DDP on CPU) for real.
"""
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

FIX_MODULES = ('known_warnings', 'missing_drn', 'multimodal_branch', 'checkpoint_loading', 'init_dist_cpu',
               'ddp_arguments')

_PROBE_SCRIPT = textwrap.dedent(r'''
    import importlib, json, os.path as osp, sys, types
    repo, modules = sys.argv[1], json.loads(sys.argv[2])
    # the fix modules without sugar_mm/__init__.py and sugar_mm/compat/__init__.py (which apply everything)
    for name, path in (('sugar_mm', 'sugar_mm'), ('sugar_mm.compat', osp.join('sugar_mm', 'compat'))):
        stub = types.ModuleType(name)
        stub.__path__ = [osp.join(repo, path)]
        sys.modules[name] = stub
    before = {m: bool(importlib.import_module('sugar_mm.compat.' + m).detect()) for m in modules}
    for key in [k for k in sys.modules if k == 'sugar_mm' or k.startswith('sugar_mm.')]:
        del sys.modules[key]

    import sugar_mm
    from sugar_mm import compat
    out = dict(before=before, applied=compat.applied_fixes(),
               after={m: bool(getattr(compat, m).detect()) for m in modules},
               names={m: getattr(compat, m).NAME for m in modules},
               order=[f.__name__.rsplit('.', 1)[1] for f in compat.FIXES],
               submodules=[k for k in sys.modules if k.startswith('sugar_mm.')])  # in the order they finished
    print('RESULT ' + json.dumps(out))
''')

_PROCESS_SCRIPT = textwrap.dedent(r'''
    import json, os, sys, warnings
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('default')  # show everything that the import's own filters let through
        import sugar_mm  # noqa: F401  (compat installs its precise filters first)
        import mmcv.cnn.bricks.transformer  # noqa: F401
        import mmcv.cnn  # noqa: F401
    out['import_warnings'] = [[w.category.__name__, str(w.message)[:300], w.filename] for w in caught]
    out['mmcv_transformer_imported'] = 'mmcv.cnn.bricks.transformer' in sys.modules
    out['applied'] = sugar_mm.compat.applied_fixes()

    import torch
    import torch.distributed as dist
    from mmengine.dist import init_dist, utils as dist_utils
    from sugar_mm.compat import init_dist_cpu

    # 5. the probe: True on upstream's function, False on the fixed one; no process group, no env left behind
    launcher_env = {k: os.environ.pop(k) for k in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE')}
    fixed = dist_utils._init_dist_pytorch
    dist_utils._init_dist_pytorch = fixed.__wrapped__
    out['detect_upstream_init_dist'] = init_dist_cpu.detect()
    dist_utils._init_dist_pytorch = fixed
    out['detect_fixed_init_dist'] = init_dist_cpu.detect()
    out['env_after_probe'] = sorted(k for k in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE') if k in os.environ)
    out['initialized_after_probe'] = dist.is_initialized()
    os.environ.update(launcher_env)

    # 5. upstream calls torch.cuda.set_device on CPU-only torch
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

    # 6. DDP wrapper on a CPU module, as Runner.wrap_model builds it
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


def _run(args, env, timeout=300) -> dict:
    env = dict(env, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    env.pop('PYTHONWARNINGS', None)
    try:
        proc = subprocess.run([sys.executable, '-c', *args], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f'the subprocess hung: {(e.stderr or "")[-3000:]}')
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT ')]
    assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(line[-1][len('RESULT '):])


@pytest.fixture(scope='session')
def fresh_probe() -> dict:
    """Each fix's probe before anything was applied, what ``import sugar_mm`` applied, and each probe after."""
    return _run([_PROBE_SCRIPT, REPO, json.dumps(FIX_MODULES)], os.environ)


@pytest.fixture(scope='session')
def fresh_process() -> dict:
    """A CPU-only interpreter: the import's warnings, then ``init_dist`` and DDP on CPU (one process, gloo)."""
    env = dict(os.environ, RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(_free_port()), CUDA_VISIBLE_DEVICES='')
    return _run([_PROCESS_SCRIPT], env)
