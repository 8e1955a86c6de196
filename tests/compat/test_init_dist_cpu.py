"""``sugar_mm.compat.init_dist_cpu``: ``init_dist('pytorch')`` on a machine without CUDA uses gloo."""
import pytest
import torch

from sugar_mm import compat
from sugar_mm.compat import init_dist_cpu


def test_init_dist_on_cpu_uses_gloo(fresh_process):
    r = fresh_process
    assert init_dist_cpu.NAME in r['applied']  # that interpreter sees no CUDA device
    # the upstream function fails before creating a process group (no CUDA)
    assert r['upstream_init_dist'] != 'ok' and not r['initialized_after_upstream']
    assert 'CUDA' in r['upstream_init_dist'] or 'cuda' in r['upstream_init_dist']
    assert r['backend'] == 'gloo'
    assert (r['world_size'], r['rank']) == (1, 0)


def test_probe_on_cpu(fresh_process):
    r = fresh_process
    assert r['detect_upstream_init_dist'] is True  # upstream's function, no CUDA: the bug shows
    assert r['detect_fixed_init_dist'] is False
    # the probe created no process group and left no launcher variables behind
    assert r['initialized_after_probe'] is False and r['env_after_probe'] == []


def test_probe_where_cuda_is_visible(monkeypatch):
    """With CUDA (or an MLU/NPU/MUSA device) upstream's path is right: nothing is detected, nothing called."""
    from mmengine.dist import utils as dist_utils
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    called = []
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', lambda *a, **k: called.append(a))
    assert init_dist_cpu.detect() is False and not called


def test_apply_is_idempotent():
    from mmengine.dist import utils as dist_utils
    if init_dist_cpu.NAME not in compat.applied_fixes():
        pytest.skip('this machine has an accelerator: the fix was (rightly) not applied')
    fixed = dist_utils._init_dist_pytorch
    init_dist_cpu.apply()
    assert dist_utils._init_dist_pytorch is fixed
    assert not getattr(fixed.__wrapped__, '_sugar_mm_patched', False)
