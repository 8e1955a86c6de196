"""The GPU check (sugar_mm.analysis.gpu_check, tools/analysis/gpu_check.py) as a CPU dry run (``--smoke``): its
checks run and can fail."""
import json
import os.path as osp

import pytest

from sugar_mm.analysis import gpu_check

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_smoke_bf16_checkpointing_and_ddp_sections_pass_on_cpu(tmp_path, msr_pkl, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / 'gpu_check.json'
    rc = gpu_check.main(['--device', 'cpu', '--smoke', '--only', 'bf16', 'grad_ckpt', 'ddp_nccl', '--ann-file',
                         msr_pkl, '--out', str(out)])
    res = json.loads(out.read_text())
    assert rc == 0, {k: v.get('error') for k, v in res.items()}
    assert res['bf16']['scores_constrained']['prob_sum_bf16'] == pytest.approx(1, abs=1e-3)
    assert res['grad_ckpt']['loss_rel_diff'] < 1e-5 and res['grad_ckpt']['grad_lora_rel_diff'] < 1e-3
    assert res['ddp_nccl']['backend'] == 'gloo' and [s['align_only'] for s in res['ddp_nccl']['steps']][:3] == \
        [True, True, False]


def test_a_broken_section_is_reported_and_fails_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)

    def broken(ctx):
        raise RuntimeError('planted failure')

    monkeypatch.setitem(gpu_check.SECTIONS, 'peak', broken)
    out = tmp_path / 'gpu_check.json'
    assert gpu_check.main(['--device', 'cpu', '--smoke', '--only', 'env', 'peak', '--out', str(out)]) == 1
    res = json.loads(out.read_text())
    assert res['env'].get('ok', True) and res['peak']['error'] == 'RuntimeError: planted failure'


def test_rel_and_grad_concatenation():
    import torch
    g = {'cls_head.bridge.w': torch.ones(2), 'cls_head.llm.x.lora_A.w': torch.full((3,), 2.0)}
    assert gpu_check.cat(g, 'bridge').tolist() == [1, 1] and gpu_check.cat(g, 'lora_').tolist() == [2, 2, 2]
    assert gpu_check.rel(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0])) == pytest.approx(1.0)


def test_the_tools_are_thin_command_lines_of_the_package():
    """tools/analysis/gpu_check.py and tools/main_job.py keep their flags: --help lists them from the package."""
    import subprocess
    import sys
    for tool, flags in (('tools/analysis/gpu_check.py', ('--arch', '--device', '--smoke', '--only', '--out')),
                        ('tools/main_job.py', ('--quick', '--raw', '--work-root', '--force', '--seed'))):
        out = subprocess.run([sys.executable, tool, '--help'], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert all(f in out.stdout for f in flags), out.stdout
