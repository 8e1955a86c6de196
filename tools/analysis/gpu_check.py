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
import copy
import json
import os
import os.path as osp
import platform
import random
import socket
import statistics
import sys
import time
import traceback

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from benchmark import count_flops, load_cfg, real_batch, timeit  # noqa: E402

MSR_CONFIG = 'configs/sugar/sugar_msr3d_xsub.py'
PAPER_CONFIG = 'configs/sugar_ntu120.py'
#: LLaMA2-7B (meta-llama/Llama-2-7b-hf config.json) but the vocabulary, which follows the tokenizer used here.
LLAMA2_7B = dict(model_type='llama', hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5,
                 tie_word_embeddings=False)
#: What ``--smoke`` uses instead (same code paths, seconds on a CPU).
SMOKE_LLM = dict(model_type='llama', hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False)


# ------------------------------------------------------------------------------------------------- helpers
class Ctx:
    def __init__(self, args):
        import torch
        self.args = args
        self.device = torch.device(args.device)
        self.cuda = self.device.type == 'cuda'
        from sugar_mm.utils.embedded_models import resolve_model_path
        self.arch = osp.abspath(osp.expanduser(resolve_model_path(args.arch)))

    def sync(self):
        import torch
        if self.cuda:
            torch.cuda.synchronize()

    def timeit(self, fn, reps, warmup=1):
        return timeit(fn, reps, warmup, sync=self.sync)

    def reset_peak(self):
        import torch
        if self.cuda:
            self.sync()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    def peak_gb(self):
        import torch
        if not self.cuda:
            return None
        return dict(allocated=torch.cuda.max_memory_allocated() / 2 ** 30,
                    reserved=torch.cuda.max_memory_reserved() / 2 ** 30)


def tf32(enabled: bool):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled


def msr_cfg(ctx, **head):
    overrides = {'model.cls_head.llm': dict(path=None, config=ctx.arch, tokenizer=ctx.arch)}
    if ctx.args.smoke:
        overrides['model.cls_head.llm'] = dict(path=None, config=dict(SMOKE_LLM), tokenizer=ctx.arch)
    for k, v in head.items():
        overrides[f'model.cls_head.{k}'] = v
    if ctx.args.ann_file:
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            overrides[f'{loader}.dataset.ann_file'] = ctx.args.ann_file
    return load_cfg(MSR_CONFIG, overrides)


def build(ctx, cfg):
    """The config's model with random weights, made directly on the device."""
    import torch
    from mmaction.registry import MODELS
    model_cfg = copy.deepcopy(dict(cfg.model))
    model_cfg.pop('encoder_checkpoint', None)
    with torch.device(ctx.device):
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model.to(ctx.device)


def msr_batch(cfg, n, split='train'):
    from mmengine.dataset import pseudo_collate
    items, _, _ = real_batch(cfg, n, split)
    return pseudo_collate(items)


def random_batch(cfg, n, num_classes, clip_len, num_person=2, joints=25):
    """NTU-shaped inputs (num_clips=1, M, T, V, C) with random labels, collated like the dataloader does."""
    import torch
    from mmaction.structures import ActionDataSample
    from mmengine.dataset import pseudo_collate
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        ds = ActionDataSample().set_gt_label(int(torch.randint(num_classes, (1,), generator=g)))
        items.append(dict(inputs=torch.randn(1, num_person, clip_len, joints, 3, generator=g), data_samples=ds))
    return pseudo_collate(items)


def copy_weights(src, dst):
    import torch
    with torch.no_grad():
        for (n, a), (m, b) in zip(list(src.named_parameters()) + list(src.named_buffers()),
                                  list(dst.named_parameters()) + list(dst.named_buffers())):
            assert n == m, (n, m)
            b.copy_(a)


def trainable(model):
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def grads(model):
    return {n: p.grad.detach().float().clone() for n, p in trainable(model).items() if p.grad is not None}


def loss_and_grads(model, data, seed=0):
    import torch
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    random.seed(seed)  # (the answer's brief description is drawn per sample)
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    loss, log = model.parse_losses(losses)
    loss.backward()
    log = {k: float(v.detach() if torch.is_tensor(v) else v) for k, v in log.items()}
    return float(loss.detach()), log, grads(model)


def rel(a, b):
    import torch
    return float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b).clamp_min(1e-30))


def cat(g, prefix):
    import torch
    keys = sorted(k for k in g if k.startswith(prefix) or f'.{prefix}' in k)
    return torch.cat([g[k].flatten() for k in keys]) if keys else torch.zeros(0)


def predict(model, data, generate: bool):
    import torch
    head = model.cls_head
    old = head.generate_text
    head.generate_text = generate
    try:
        with torch.no_grad():
            return model(**model.data_preprocessor(data, False), mode='predict')
    finally:
        head.generate_text = old


def scores(samples):
    import torch
    return torch.stack([s.pred_score.float().cpu() for s in samples])


# ------------------------------------------------------------------------------------------------ sections
def sec_env(ctx):
    import mmaction
    import mmengine
    import peft
    import torch
    import transformers

    import sugar_mm  # noqa: F401  (applies sugar_mm.compat)
    from sugar_mm import compat
    out = dict(python=platform.python_version(), torch=torch.__version__, cuda=torch.version.cuda,
               transformers=transformers.__version__, peft=peft.__version__, mmengine=mmengine.__version__,
               mmaction=mmaction.__version__, host=socket.gethostname(), cpu_threads=torch.get_num_threads())
    if ctx.cuda:
        p = torch.cuda.get_device_properties(ctx.device)
        out.update(gpu=p.name, gpu_memory_gb=p.total_memory / 2 ** 30, sms=p.multi_processor_count,
                   bf16_supported=torch.cuda.is_bf16_supported())
    applied = getattr(compat, 'APPLIED', None)
    if applied is not None:
        out['compat_applied'] = sorted(applied) if not isinstance(applied, bool) else applied
    return out


def sec_peak(ctx):
    import torch
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


def sec_bf16(ctx):
    import torch
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


def sec_grad_ckpt(ctx):
    import torch
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


def sec_ddp(ctx):
    import torch
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


def sec_msr_speed(ctx):
    import torch
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


def sec_paper_scale(ctx):
    import torch
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
    base = model.cls_head._base()
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


SECTIONS = dict(env=sec_env, peak=sec_peak, bf16=sec_bf16, grad_ckpt=sec_grad_ckpt, ddp_nccl=sec_ddp,
                msr_speed=sec_msr_speed, paper_scale=sec_paper_scale)


def summary_line(name, res):
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


def main(argv=None):
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


def run_sections(args) -> int:
    from mmengine.registry import init_default_scope

    import sugar_mm  # noqa: F401
    init_default_scope('mmaction')
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


if __name__ == '__main__':
    sys.exit(main())
