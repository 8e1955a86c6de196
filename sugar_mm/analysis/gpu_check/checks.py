"""GPU-check sections that compare two computations: env, peak, bf16, grad_ckpt, ddp_nccl."""
import os
import platform
import socket

import torch

from .context import Ctx, build, cat, copy_weights, loss_and_grads, msr_batch, msr_cfg, predict, rel, scores, tf32


def sec_env(ctx: Ctx) -> dict:
    """Versions, the GPU, and what ``sugar_mm.compat`` applied."""
    import mmaction
    import mmengine
    import peft
    import transformers

    from sugar_mm import compat
    out = dict(python=platform.python_version(), torch=torch.__version__, cuda=torch.version.cuda,
               transformers=transformers.__version__, peft=peft.__version__, mmengine=mmengine.__version__,
               mmaction=mmaction.__version__, host=socket.gethostname(), cpu_threads=torch.get_num_threads())
    if ctx.cuda:
        p = torch.cuda.get_device_properties(ctx.device)
        out.update(gpu=p.name, gpu_memory_gb=p.total_memory / 2 ** 30, sms=p.multi_processor_count,
                   bf16_supported=torch.cuda.is_bf16_supported())
    out['compat_applied'] = compat.applied_fixes()
    return out


def sec_peak(ctx: Ctx) -> dict:
    """The measured bf16 / fp32 / tf32 matrix-product peaks (TFLOP/s)."""
    n = 1024 if ctx.args.smoke else 8192
    out = {}
    for name, dtype, tf in (('bf16', torch.bfloat16, False), ('fp32', torch.float32, False),
                            ('tf32', torch.float32, True)):
        if not ctx.cuda and name != 'fp32':
            continue
        tf32(tf)
        a = torch.randn(n, n, device=ctx.device, dtype=dtype)
        b = torch.randn(n, n, device=ctx.device, dtype=dtype)
        t = ctx.timeit(lambda: a @ b, reps=10, warmup=3)
        out[f'{name}_tflops'] = 2 * n ** 3 / t['median'] / 1e12
    tf32(False)
    return out


def sec_bf16(ctx: Ctx) -> dict:
    """bf16 autocast against fp32 on the same weights: loss, LoRA and bridge gradients, class scores."""
    tf32(False)
    cfg = msr_cfg(ctx, **{'lora.dropout': 0.0})
    model = build(ctx, cfg).train()
    n = 4 if ctx.args.smoke else 16
    data = msr_batch(cfg, n)
    head = model.cls_head
    head.autocast_dtype = None
    l32, log32, g32 = loss_and_grads(model, data)
    head.autocast_dtype = torch.bfloat16
    l16, log16, g16 = loss_and_grads(model, data)
    out = dict(loss_fp32=l32, loss_bf16=l16, loss_rel_diff=abs(l16 - l32) / abs(l32), logs_fp32=log32,
               logs_bf16=log16)
    for part in ('bridge', 'lora_'):
        a, b = cat(g16, part), cat(g32, part)
        if a.numel() == 0:
            raise AssertionError(f'no gradient reached {part}')
        out[f'grad_{part.strip("_")}_rel_diff'] = rel(a, b)
        out[f'grad_{part.strip("_")}_cosine'] = float(torch.nn.functional.cosine_similarity(a, b, dim=0))
        if not bool(torch.isfinite(a).all()) or float(a.abs().sum()) == 0:
            raise AssertionError(f'bf16 gradients of {part} are not finite or all zero')
    model.eval()
    test = msr_batch(cfg, n, 'test')
    for mode in ('constrained', 'likelihood'):
        head.score_mode = mode
        head.autocast_dtype = None
        s32 = scores(predict(model, test, False))
        head.autocast_dtype = torch.bfloat16
        s16 = scores(predict(model, test, False))
        out[f'scores_{mode}'] = dict(
            max_abs_diff=float((s16 - s32).abs().max()),
            top1_agreement=float((s16.argmax(1) == s32.argmax(1)).float().mean()),
            finite=bool(torch.isfinite(s16).all()))
        if mode == 'constrained':  # pred_score holds the class probabilities
            out[f'scores_{mode}']['prob_sum_bf16'] = float(s16.sum(1).mean())
    head.score_mode = cfg.model.cls_head.score_mode
    ok = out['loss_rel_diff'] < 2e-2 and out['grad_bridge_cosine'] > 0.98 and out['grad_lora_cosine'] > 0.98 \
        and all(out[f'scores_{m}']['finite'] for m in ('constrained', 'likelihood')) \
        and abs(out['scores_constrained']['prob_sum_bf16'] - 1) < 1e-2
    out['ok'] = bool(ok)
    return out


def sec_grad_ckpt(ctx: Ctx) -> dict:
    """Gradient checkpointing gives the loss and gradients of the plain model, and what memory it saves."""
    tf32(False)
    n = 4 if ctx.args.smoke else 16
    cfg = msr_cfg(ctx, **{'lora.dropout': 0.0})
    plain = build(ctx, cfg).train()
    data = msr_batch(cfg, n)
    ctx.reset_peak()
    l0, _, g0 = loss_and_grads(plain, data)
    mem0 = ctx.peak_gb()
    cfg_ck = msr_cfg(ctx, **{'lora.dropout': 0.0, 'gradient_checkpointing': True})
    ck = build(ctx, cfg_ck).train()
    copy_weights(plain, ck)  # (state_dict() leaves out the frozen encoder and LLM)
    del plain
    ctx.reset_peak()
    l1, _, g1 = loss_and_grads(ck, data)
    mem1 = ctx.peak_gb()
    out = dict(loss=l0, loss_ckpt=l1, loss_rel_diff=abs(l1 - l0) / abs(l0),
               grad_lora_rel_diff=rel(cat(g1, 'lora_'), cat(g0, 'lora_')),
               grad_bridge_rel_diff=rel(cat(g1, 'bridge'), cat(g0, 'bridge')),
               peak_gb_plain=mem0, peak_gb_ckpt=mem1, same_params=sorted(g0) == sorted(g1))
    out['ok'] = bool(out['same_params'] and out['loss_rel_diff'] < 1e-5 and out['grad_lora_rel_diff'] < 1e-3
                     and out['grad_bridge_rel_diff'] < 1e-3)
    return out


def sec_ddp(ctx: Ctx) -> dict:
    """MMDistributedDataParallel over NCCL (gloo on a CPU): bridge warm-up and LLM steps alternate."""
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import build_optim_wrapper
    backend = 'nccl' if ctx.cuda else 'gloo'
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        os.environ['MASTER_PORT'] = str(s.getsockname()[1])
    dist.init_process_group(backend, rank=0, world_size=1)
    try:
        cfg = msr_cfg(ctx, autocast_dtype='bfloat16' if ctx.cuda else None)
        model = build(ctx, cfg)
        ddp = MMDistributedDataParallel(module=model, device_ids=[ctx.device.index or 0] if ctx.cuda else None,
                                        find_unused_parameters=False)
        optim = build_optim_wrapper(ddp, cfg.optim_wrapper)
        data = msr_batch(cfg, 4 if ctx.args.smoke else 16)
        steps = []
        for align_only in (True, True, False, False, True, False):
            model.cls_head.align_only = align_only
            log = ddp.train_step(data, optim)
            steps.append(dict(align_only=align_only, **{k: float(v.detach() if torch.is_tensor(v) else v)
                                                           for k, v in log.items()}))
        model.cls_head.align_only = False
        ok = all(torch.isfinite(torch.tensor(s['loss'])) for s in steps)
        return dict(backend=backend, world_size=dist.get_world_size(), find_unused_parameters=False, steps=steps,
                    ok=bool(ok))
    finally:
        dist.destroy_process_group()
