"""GPU-check sections that measure: msr_speed (the MSR Action3D stage 2), paper_scale (LLaMA2-7B, NTU)."""
import statistics
import time

import torch

from ..builders import load_cfg
from ..timing import count_flops
from .context import (LLAMA2_7B, PAPER_CONFIG, SMOKE_LLM, Ctx, build, msr_batch, msr_cfg, predict, random_batch,
                      tf32)


def sec_msr_speed(ctx: Ctx) -> dict:
    """The MSR Action3D stage-2 train step (bf16, fp32) and inference latency at the test batch size."""
    from mmengine.optim import build_optim_wrapper
    tf32(False)
    cfg = msr_cfg(ctx)
    n_train = 4 if ctx.args.smoke else cfg.train_dataloader.batch_size
    n_test = 4 if ctx.args.smoke else cfg.test_dataloader.batch_size
    reps = 2 if ctx.args.smoke else 5
    model = build(ctx, cfg).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    data = model.data_preprocessor(msr_batch(cfg, n_train), True)
    head = model.cls_head
    out = dict(train_batch=n_train, test_batch=n_test)

    def step():
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        optim.update_params(loss)

    flops = count_flops(lambda: model.parse_losses(model(**data, mode='loss'))[0].backward())
    optim.zero_grad()
    out['train_flops_per_sample'] = flops / n_train
    for name, dtype in (('bf16', torch.bfloat16), ('fp32', None)):
        head.autocast_dtype = dtype
        ctx.reset_peak()
        t = ctx.timeit(step, reps, warmup=2)
        out[f'train_step_{name}'] = dict(seconds=t, samples_per_s=n_train / t['median'],
                                         tflops=flops / t['median'] / 1e12, peak_gb=ctx.peak_gb())
    model.eval()
    head.autocast_dtype = torch.bfloat16 if ctx.cuda else None
    test = msr_batch(cfg, n_test, 'test')
    for name, gen in (('scores', False), ('scores_and_generation', True)):
        t = ctx.timeit(lambda: predict(model, test, gen), reps=3, warmup=1)
        out[f'infer_{name}'] = dict(seconds=t, ms_per_sample=1e3 * t['median'] / n_test)
    samples = predict(model, test, True)
    out['generated_tokens_mean'] = statistics.mean(len(model.cls_head.tokenizer(s.pred_text)['input_ids'])
                                                   for s in samples)
    out['ok'] = True
    return out


def sec_paper_scale(ctx: Ctx) -> dict:
    """configs/sugar_ntu120.py with the LLaMA2-7B architecture: memory and time of training and inference."""
    from mmengine.optim import build_optim_wrapper
    llm = dict(SMOKE_LLM if ctx.args.smoke else LLAMA2_7B)
    llm['vocab_size'] = 49152
    # (a CPU has no fast bf16 matrix products: the dry run keeps float32)
    dtype = 'float32' if ctx.args.smoke else 'bfloat16'
    cfg = load_cfg(PAPER_CONFIG, {'model.cls_head.llm': dict(path=None, config=llm, tokenizer=ctx.arch, dtype=dtype),
                                  'model.cls_head.autocast_dtype': None if ctx.args.smoke else 'bfloat16'})
    n = 2 if ctx.args.smoke else cfg.train_dataloader.batch_size
    clip_len = next(t['clip_len'] for t in cfg.train_dataloader.dataset.pipeline if 'clip_len' in t)
    reps = 2 if ctx.args.smoke else 3
    ctx.reset_peak()
    t0 = time.perf_counter()
    model = build(ctx, cfg).train()
    build_s = time.perf_counter() - t0
    weights_gb = ctx.peak_gb()
    params = sum(p.numel() for p in model.parameters())
    train_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    classes = len(model.cls_head.class_names)
    data = model.data_preprocessor(random_batch(cfg, n, classes, clip_len), True)

    def step():
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        optim.update_params(loss)

    ctx.reset_peak()
    t = ctx.timeit(step, reps, warmup=1)
    out = dict(llm=llm, batch_per_gpu=n, clip_len=clip_len, classes=classes, build_seconds=build_s,
               weights_peak_gb=weights_gb, params=params, trainable_params=train_params,
               gradient_checkpointing=bool(cfg.model.cls_head.gradient_checkpointing),
               train_step=dict(seconds=t, samples_per_s=n / t['median'], peak_gb=ctx.peak_gb()))
    # FLOPs of one step (the checkpointed forward is run twice: counted as run)
    flops = count_flops(lambda: model.parse_losses(model(**data, mode='loss'))[0].backward())
    optim.zero_grad()
    out['train_flops_per_sample'] = flops / n
    out['train_step']['tflops'] = flops / t['median'] / 1e12
    base = model.cls_head.lm.base
    if out['gradient_checkpointing'] and hasattr(base, 'activation_checkpointing_disable'):
        base.activation_checkpointing_disable()  # the same step without checkpointing: what it saves
        ctx.reset_peak()
        try:
            t2 = ctx.timeit(step, reps=2, warmup=1)
            out['train_step_no_ckpt'] = dict(seconds=t2, samples_per_s=n / t2['median'], peak_gb=ctx.peak_gb())
        except RuntimeError as e:  # out of memory is an answer too
            out['train_step_no_ckpt'] = dict(error=str(e).splitlines()[0][:200])
        optim.zero_grad()
        base.activation_checkpointing_enable(activation_checkpointing_kwargs=dict(use_reentrant=False))
    model.eval()
    test = random_batch(cfg, n, classes, clip_len)
    for name, gen in (('scores', False), ('scores_and_generation', True)):
        ctx.reset_peak()
        ti = ctx.timeit(lambda: predict(model, test, gen), reps=2 if not ctx.args.smoke else 1, warmup=1)
        out[f'infer_{name}'] = dict(seconds=ti, ms_per_sample=1e3 * ti['median'] / n, peak_gb=ctx.peak_gb())
    out['ok'] = True
    return out
