"""Check and measure SUGAR's GPU paths on one CUDA device: bf16, gradient checkpointing, NCCL DDP, paper scale.

    python tools/analysis/gpu_check.py [--arch FOLDER] [--out work_dirs/gpu_check.json]

``--arch`` is a Hugging Face folder with the LLM's ``config.json`` and tokenizer files; its weights, if any, are
not read (default: the embedded SmolLM2-135M; a copy of its folder without ``model.safetensors`` is enough). Every LLM
here is randomly initialised with the real architecture: the checks compare two computations on the same
weights, and costs (time, FLOPs, memory) do not depend on the values of the weights. The encoder is random too.

Sections (each prints one line, ``ok`` or ``FAIL`` with the reason; all figures also go to ``--out``):

* ``env``: versions, the GPU, and ``sugar_mm.compat`` applied;
* ``peak``: the measured bf16 and fp32 matrix-product peaks (TFLOP/s) the efficiency figures refer to;
* ``bf16``: the MSR Action3D stage-2 model (SmolLM2 architecture, a real batch): loss, LoRA and bridge
  gradients and class scores under bf16 autocast against fp32 (TF32 off) on the same weights;
* ``grad_ckpt``: non-reentrant gradient checkpointing gives the same loss and LoRA/bridge gradients as
  without (fp32), and the activation memory it saves;
* ``ddp_nccl``: mmengine's ``MMDistributedDataParallel`` over an NCCL process group with
  ``find_unused_parameters=False``: bridge warm-up steps (``align_only``) and LLM steps alternate;
* ``msr_speed``: stage-2 train step (bf16 and fp32), achieved TFLOP/s against the bf16 peak, inference
  latency per sample (scores only; scores + greedy generation) at the test batch size;
* ``paper_scale``: ``configs/sugar_ntu120.py`` with the LLaMA2-7B architecture (bf16 weights, LoRA r=64 on
  q/k/v/o, TQP k=128, gradient checkpointing) at the config's batch per GPU on NTU-shaped inputs (2 persons,
  40 frames, 25 joints): peak GPU memory and step time of training (AdamW), and of inference over 120 classes.
  The vocabulary is the SmolLM2 tokenizer's 49,152 tokens (LLaMA2 has 32,000: +0.28 GB of embedding weights).

``--device cpu --smoke`` runs every section with small sizes on the CPU (gloo instead of NCCL): a dry run.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
import traceback
from typing import Optional, Sequence

from .checks import sec_bf16, sec_ddp, sec_env, sec_grad_ckpt, sec_peak
from .context import LLAMA2_7B, MSR_CONFIG, PAPER_CONFIG, SMOKE_LLM, Ctx, cat, rel
from .speed import sec_msr_speed, sec_paper_scale

__all__ = ['SECTIONS', 'main', 'run_sections', 'summary_line', 'Ctx', 'cat', 'rel', 'MSR_CONFIG', 'PAPER_CONFIG',
           'LLAMA2_7B', 'SMOKE_LLM']

SECTIONS = dict(env=sec_env, peak=sec_peak, bf16=sec_bf16, grad_ckpt=sec_grad_ckpt, ddp_nccl=sec_ddp,
                msr_speed=sec_msr_speed, paper_scale=sec_paper_scale)


def summary_line(name: str, res: dict) -> str:
    """The one line printed for a section: ``ok`` / ``FAIL`` and its main figures."""
    if 'error' in res:
        return f'{name:12s} FAIL  {res["error"]}'
    flag = 'FAIL' if res.get('ok') is False else 'ok  '
    keys = {
        'env': ('gpu', 'torch', 'cuda', 'transformers', 'peft'),
        'peak': ('bf16_tflops', 'tf32_tflops', 'fp32_tflops'),
        'bf16': ('loss_rel_diff', 'grad_bridge_cosine', 'grad_lora_cosine'),
        'grad_ckpt': ('loss_rel_diff', 'grad_lora_rel_diff', 'grad_bridge_rel_diff'),
        'ddp_nccl': ('backend', 'world_size'),
        'msr_speed': ('train_flops_per_sample',),
        'paper_scale': ('batch_per_gpu', 'params', 'trainable_params', 'train_flops_per_sample'),
    }[name]
    parts = []
    for k in keys:
        v = res.get(k)
        parts.append(f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}')
    for k, v in res.items():
        if isinstance(v, dict) and 'seconds' in v:
            extra = f' peak={v["peak_gb"]["allocated"]:.1f}GB' if v.get('peak_gb') else ''
            parts.append(f'{k}={v["seconds"]["median"]:.3f}s{extra}')
        elif isinstance(v, dict) and 'top1_agreement' in v:
            parts.append(f'{k}: max|d|={v["max_abs_diff"]:.3g} top1-agree={v["top1_agreement"]:.2f}')
        elif k in ('peak_gb_plain', 'peak_gb_ckpt', 'weights_peak_gb') and v:
            parts.append(f'{k}={v["allocated"]:.2f}GB')
    return f'{name:12s} {flag}  ' + ' '.join(parts)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line of tools/analysis/gpu_check.py; returns its exit status (1 if a section failed)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='embedded:smollm2-135m-instruct',
                        help='folder with the LLM config.json and tokenizer (weights are not read); default: the '
                        'embedded SmolLM2-135M')
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--ann-file', default=None,
                        help="MSR Action3D pkl (default: the config's data/msr_action3d/msr_action3d.pkl)")
    parser.add_argument('--smoke', action='store_true', help='small sizes (a CPU dry run of every section)')
    parser.add_argument('--only', nargs='*', default=None, choices=list(SECTIONS))
    parser.add_argument('--out', default='work_dirs/gpu_check.json')
    args = parser.parse_args(argv)
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # (init_weights lists every parameter at INFO)
    try:
        return run_sections(args)
    finally:
        logger.setLevel(level)


def run_sections(args: argparse.Namespace) -> int:
    """Run the selected sections; a failed section is reported and the others still run."""
    from mmengine.registry import init_default_scope
    init_default_scope('sugar_mm')
    ctx = Ctx(args)
    results = {}
    for name, fn in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        t = time.perf_counter()
        try:
            res = fn(ctx)
        except Exception as e:  # a failed section is reported, the others still run
            res = dict(error=f'{type(e).__name__}: {e}'.splitlines()[0][:300], traceback=traceback.format_exc(),
                       ok=False)
            print(res['traceback'], file=sys.stderr)
        res['section_seconds'] = time.perf_counter() - t
        results[name] = res
        print(summary_line(name, res), flush=True)
        ctx.reset_peak()
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(results, f, indent=1, default=str)
    failed = [n for n, r in results.items() if r.get('ok') is False]
    print('FAILED: ' + ', '.join(failed) if failed else 'all sections ok', flush=True)
    return 1 if failed else 0
