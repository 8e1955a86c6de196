"""``sugar_mm.compat.ddp_arguments``: ``MMDistributedDataParallel`` on CPU modules, without deprecated arguments."""
import torch.distributed as dist

from sugar_mm.compat import ddp_arguments


def test_ddp_on_cpu_module(fresh_process):
    r = fresh_process
    assert ddp_arguments.NAME in r['applied']
    assert r['upstream_ddp'] != 'ok' and 'device_ids' in r['upstream_ddp']  # upstream rejects CPU + device_ids
    assert any(c == 'FutureWarning' and 'broadcast_buffers' in m for c, m in r['raw_ddp_warnings'])
    assert not any('broadcast_buffers' in m for _, m in r['ddp_warnings']), r['ddp_warnings']
    assert r['ddp_device_ids'] is None
    assert r['ddp_forward_sync_buffers'] is False  # broadcast_buffers=False was passed on, not dropped
    assert r['ddp_matches_module'] and r['grad_finite']


def test_probe_needs_no_process_group(monkeypatch):
    from mmengine.model.wrappers import MMDistributedDataParallel
    assert not dist.is_initialized()
    assert ddp_arguments.detect() is False  # fixed here
    assert not ddp_arguments.cpu_device_ids_rejected() and not ddp_arguments.broadcast_buffers_deprecated()
    monkeypatch.setattr(MMDistributedDataParallel, '__init__', MMDistributedDataParallel.__init__.__wrapped__)
    assert ddp_arguments.cpu_device_ids_rejected() is True
    assert ddp_arguments.broadcast_buffers_deprecated() is True  # torch 2.13
    assert ddp_arguments.detect() is True
    assert not dist.is_initialized()


def test_apply_is_idempotent():
    from mmengine.model.wrappers import MMDistributedDataParallel
    fixed = MMDistributedDataParallel.__init__
    ddp_arguments.apply()
    assert MMDistributedDataParallel.__init__ is fixed
    assert not getattr(fixed.__wrapped__, '_sugar_mm_patched', False)
