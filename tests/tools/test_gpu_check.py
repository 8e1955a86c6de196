"""tools/analysis/gpu_check.py as a CPU dry run (``--smoke``): its checks run and can fail."""
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    spec = importlib.util.spec_from_file_location('sugar_gpu_check', osp.join(ROOT, 'tools/analysis/gpu_check.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def tool():
    return load_tool()


def test_smoke_bf16_checkpointing_and_ddp_sections_pass_on_cpu(tool, tmp_path, msr_pkl, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / 'gpu_check.json'
    rc = tool.main(['--device', 'cpu', '--smoke', '--only', 'bf16', 'grad_ckpt', 'ddp_nccl', '--ann-file', msr_pkl,
                    '--out', str(out)])
    res = json.loads(out.read_text())
    assert rc == 0, {k: v.get('error') for k, v in res.items()}
    assert res['bf16']['scores_constrained']['prob_sum_bf16'] == pytest.approx(1, abs=1e-3)
    assert res['grad_ckpt']['loss_rel_diff'] < 1e-5 and res['grad_ckpt']['grad_lora_rel_diff'] < 1e-3
    assert res['ddp_nccl']['backend'] == 'gloo' and [s['align_only'] for s in res['ddp_nccl']['steps']][:3] == \
        [True, True, False]


def test_a_broken_section_is_reported_and_fails_the_run(tool, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)

    def broken(ctx):
        raise RuntimeError('planted failure')

    monkeypatch.setitem(tool.SECTIONS, 'peak', broken)
    out = tmp_path / 'gpu_check.json'
    assert tool.main(['--device', 'cpu', '--smoke', '--only', 'env', 'peak', '--out', str(out)]) == 1
    res = json.loads(out.read_text())
    assert res['env'].get('ok', True) and res['peak']['error'] == 'RuntimeError: planted failure'


def test_rel_and_grad_concatenation(tool):
    import torch
    g = {'cls_head.bridge.w': torch.ones(2), 'cls_head.llm.x.lora_A.w': torch.full((3,), 2.0)}
    assert tool.cat(g, 'bridge').tolist() == [1, 1] and tool.cat(g, 'lora_').tolist() == [2, 2, 2]
    assert tool.rel(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0])) == pytest.approx(1.0)
