"""Measure what SUGAR costs next to an mmaction baseline: throughput, latency, memory, parameters, FLOPs.

    python tools/analysis/benchmark.py configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py \\
        --stage1 configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py \\
        --baseline configs/baselines/ctrgcn-gcnhead_30e_msr3d-xsub.py \\
        --out work_dirs/benchmark.json

Sections (each: warm-up, then ``--reps`` timed repetitions; median and spread (min..max) reported):

* ``machine``: threads, and the measured fp32 matmul peak (GFLOP/s) that the efficiency figures refer to;
* ``data``: samples/s the training dataloader delivers with the config's workers, vs samples/s training eats;
* ``stage1`` / ``same_backbone_gcnhead`` / ``baseline``: one training step (forward + backward + SGD) on a real
  batch, FLOPs per sample, parameters, for stage 1, for the same encoder with mmaction's ``GCNHead`` (what the
  knowledge-contrast head costs; timed alternately with stage 1, the ratio being the median of the per-round
  ratios, so that the machine's drift falls on both) and for the ``--baseline`` config (an mmaction model of the
  same input size);
* ``stage2_train``: one LLM-head training step, achieved FLOP/s and its fraction of the matmul peak;
* ``prefix_grad``: the training step with the shared list prefix run with and without autograd
  (``LLMHead(prompt_prefix_grad=...)``), timed alternately on the same batch and the same lists (the answers'
  briefs are drawn at random);
* ``stage2_infer``: at the test batch size, per-sample latency of scoring all classes (the config's
  ``score_mode``; shared prompt cache + candidate tree) and of greedy generation, vs one prompt forward;
* ``scoring_vs_classes``: (prompt + scoring) / prompt for C = 20, 60, 120 class names, for both score modes
  (``likelihood``: the whole candidate trie; ``constrained``: its branch points only);
* ``tokens_vs_length``: inference time vs encoder sequence length L_s for the TQP (k tokens) and the linear
  bridge (L_s tokens);
* peak resident memory after each section.

The encoder weights need not be trained: costs do not depend on the weights (``encoder_checkpoint`` is dropped).
The timing and model helpers are :mod:`sugar_mm.analysis` (shared with ``gpu_check.py``).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from sugar_mm.analysis import (build_model, count_flops, load_cfg, matmul_peak, peak_rss_mb,  # noqa: E402
                               real_batch, summarize, timeit)


def make_train_step(cfg, batch_size):
    """The config's model, a real batch and one training step (forward + backward + optimizer) as a closure."""
    from mmengine.optim import build_optim_wrapper
    model = build_model(cfg).train()
    items, _, collate = real_batch(cfg, batch_size)
    data = model.data_preprocessor(collate(items), True)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)

    def step():
        losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        optim.update_params(loss)

    return model, data, optim, step


def step_report(model, data, optim, batch_size, t):
    flops = count_flops(lambda: model.parse_losses(model(**data, mode='loss'))[0].backward())
    optim.zero_grad()
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return dict(step_seconds=t, batch_size=batch_size, samples_per_s=batch_size / t['median'],
                train_flops_per_sample=flops / batch_size, gflops_per_s=flops / t['median'] / 1e9,
                params=params, trainable_params=trainable)


def train_step_cost(cfg, batch_size, reps):
    model, data, optim, step = make_train_step(cfg, batch_size)
    t = timeit(step, reps)
    return model, step_report(model, data, optim, batch_size, t)


def interleaved_step_costs(cfg_a, cfg_b, batch_size, reps):
    """Train steps of two configs timed alternately (a, b, a, b, ...), so that the machine's drift (other tenants,
    clock changes) falls on both; the ratio a / b is the median of the per-round ratios."""
    a = make_train_step(cfg_a, batch_size)
    b = make_train_step(cfg_b, batch_size)
    for _ in range(2):
        a[3]()
        b[3]()
    ta, tb = [], []
    for _ in range(reps):
        for step, times in ((a[3], ta), (b[3], tb)):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    ratios = [x / y for x, y in zip(ta, tb)]
    return (step_report(*a[:3], batch_size, summarize(ta)), step_report(*b[:3], batch_size, summarize(tb)),
            dict(summarize(ratios), per_round=ratios))


def data_throughput(cfg, batches):
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg.train_dataloader)
    it = iter(loader)
    next(it)  # start the workers
    t = time.perf_counter()
    n = 0
    for _ in range(batches):
        try:
            batch = next(it)
        except StopIteration:
            it = iter(loader)
            batch = next(it)
        n += len(batch['inputs'])
    return dict(samples_per_s=n / (time.perf_counter() - t), num_workers=cfg.train_dataloader.num_workers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='stage-2 config (LLM head)')
    parser.add_argument('--stage1', help='stage-1 config (knowledge-contrast head)')
    parser.add_argument('--baseline', help='mmaction baseline config (GCNHead) of the same input size')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=None, help='default: the configs\' batch sizes')
    parser.add_argument('--out', default='work_dirs/benchmark.json')
    parser.add_argument('--skip', nargs='*', default=[],
                        help='sections to skip (stage1, data, baseline, stage2_train, prefix_grad, stage2_infer, '
                        'decode_cache, scoring_vs_classes, tokens_vs_length; stage2: every stage-2 section)')
    args = parser.parse_args(argv)

    import torch
    import sugar_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('sugar_mm')
    report = dict(machine=dict(threads=torch.get_num_threads(), cpu_count=os.cpu_count(),
                               torch=torch.__version__, device='cpu'))
    peak = matmul_peak()
    report['machine']['matmul_peak_gflops'] = peak
    print(f'matmul peak: {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads', flush=True)

    s2 = load_cfg(args.config)
    bs2 = args.batch_size or s2.train_dataloader.batch_size

    if args.stage1 and 'stage1' not in args.skip:
        s1 = load_cfg(args.stage1)
        bs1 = args.batch_size or s1.train_dataloader.batch_size
        # the same encoder with mmaction's GCNHead (a linear classifier): what the knowledge-contrast head costs,
        # timed interleaved with stage 1
        same = load_cfg(args.stage1)
        head = same.model.cls_head
        classes = head.get('class_names')
        from sugar_mm.datasets.label_maps import load_label_map
        num_classes = len(load_label_map(classes)) if isinstance(classes, str) else len(classes)
        same.model.cls_head = dict(type='GCNHead', num_classes=num_classes, in_channels=head.in_channels)
        r, r_same, ratio = interleaved_step_costs(s1, same, bs1, args.reps)
        report['stage1'] = r
        report['same_backbone_gcnhead'] = r_same
        report['stage1_vs_same_backbone_gcnhead'] = ratio
        print(f'stage 1 train step: {r["step_seconds"]["median"]:.3f} s ({bs1} samples); same encoder + GCNHead: '
              f'{r_same["step_seconds"]["median"]:.3f} s -> stage 1 costs {ratio["median"]:.2f}x (per-round '
              f'ratios {ratio["min"]:.2f}..{ratio["max"]:.2f})', flush=True)
        if 'data' not in args.skip:
            d = data_throughput(s1, batches=20)
            d['training_samples_per_s'] = r['samples_per_s']
            d['ratio'] = d['samples_per_s'] / r['samples_per_s']
            report['data'] = d
            print(f'data pipeline: {d["samples_per_s"]:.0f} samples/s = {d["ratio"]:.1f}x what stage-1 training '
                  'consumes', flush=True)
    if args.baseline and 'baseline' not in args.skip:
        b = load_cfg(args.baseline)
        bsb = args.batch_size or b.train_dataloader.batch_size
        _, r = train_step_cost(b, bsb, args.reps)
        report['baseline'] = r
        print(f'baseline train step: {r["step_seconds"]["median"]:.3f} s ({bsb} samples)', flush=True)
        if 'stage1' in report:
            ratio = report['stage1']['step_seconds']['median'] / r['step_seconds']['median'] * (bsb / bs1)
            report['stage1_vs_baseline'] = ratio
            print(f'stage 1 / baseline time per sample: {ratio:.2f}x', flush=True)
    report['peak_rss_mb_after_stage1'] = peak_rss_mb()
    if 'stage2' in args.skip:  # every stage-2 section
        return write_report(report, args.out)

    if 'stage2_train' not in args.skip:
        model, r = train_step_cost(s2, bs2, args.reps)
        r['fraction_of_matmul_peak'] = r['gflops_per_s'] / peak
        report['stage2_train'] = r
        print(f'stage 2 train step: {r["step_seconds"]["median"]:.2f} s ({bs2} samples), {r["gflops_per_s"]:.1f} '
              f'GFLOP/s = {100 * r["fraction_of_matmul_peak"]:.0f}% of peak; trainable {r["trainable_params"]:,} of '
              f'{r["params"]:,}', flush=True)
    else:
        model = build_model(s2)
    report['peak_rss_mb_after_stage2_train'] = peak_rss_mb()

    if 'prefix_grad' not in args.skip:  # the list prefix with and without autograd, same lists, timed alternately
        cfgs = [copy.deepcopy(s2), copy.deepcopy(s2)]  # (Config.copy is shallow)
        for cfg, grad in zip(cfgs, (True, False)):
            cfg.model.cls_head.prompt_prefix_grad = grad
            if cfg.model.cls_head.get('train_lists') is not None:  # both heads draw the same list each step
                cfg.model.cls_head.train_lists = dict(cfg.model.cls_head.train_lists, seed=0)
        with_grad, without, ratio = interleaved_step_costs(*cfgs, bs2, args.reps)
        report['prefix_grad'] = dict(with_grad=with_grad, without_grad=without, without_over_with=ratio)
        print(f'stage 2 train step, list prefix with / without autograd: {with_grad["step_seconds"]["median"]:.2f} / '
              f'{without["step_seconds"]["median"]:.2f} s, per-round ratio {ratio["median"]:.2f} '
              f'({ratio["min"]:.2f}..{ratio["max"]:.2f})', flush=True)
    model.eval()
    head = model.cls_head

    bs_test = args.batch_size or s2.test_dataloader.batch_size
    items, ds, collate = real_batch(s2, bs_test, split='test')
    data = model.data_preprocessor(collate(items), False)
    with torch.no_grad():
        feats, _ = model.extract_feat(data['inputs'], test_mode=True)
        action = head.action_tokens(feats)
        n = action.shape[0]
        names = head.class_names
        state = head.encode_prompt(action, names)
    if 'stage2_infer' not in args.skip:
        with torch.no_grad():
            t_prompt = timeit(lambda: head.encode_prompt(action, names), args.reps)
            t_score = timeit(lambda: head.score_classes(action, names, state), args.reps)
            t_gen = timeit(lambda: head.generate(action, names, state), max(1, args.reps // 2))
            t_pred = timeit(lambda: model(**data, mode='predict'), max(1, args.reps // 2))
            f_prompt = count_flops(lambda: head.encode_prompt(action, names))
            f_score = count_flops(lambda: head.score_classes(action, names, state))
        report['stage2_infer'] = dict(
            batch_size=n, prompt_seconds=t_prompt, scoring_seconds=t_score, generation_seconds=t_gen,
            predict_seconds=t_pred, predict_ms_per_sample=1000 * t_pred['median'] / n,
            samples_per_s=n / t_pred['median'], scoring_over_prompt=(t_prompt['median'] + t_score['median']) /
            t_prompt['median'], prompt_flops_per_sample=f_prompt / n, scoring_flops_per_sample=f_score / n)
        r = report['stage2_infer']
        print(f'stage 2 inference ({n} samples): prompt {t_prompt["median"]:.2f} s, scoring {t_score["median"]:.2f} s '
              f'(prompt+scoring = {r["scoring_over_prompt"]:.2f}x prompt), generation {t_gen["median"]:.2f} s; '
              f'{r["predict_ms_per_sample"]:.0f} ms/sample end to end', flush=True)
    report['peak_rss_mb_after_stage2_infer'] = peak_rss_mb()

    if 'decode_cache' not in args.skip:  # transformers' StaticCache vs our preallocated cache, timed alternately
        from sugar_mm.models.llm.greedy import CACHE_IMPLS, greedy_decode
        times = {impl: [] for impl in CACHE_IMPLS}
        tokens = {}
        with torch.no_grad():
            for _ in range(max(2, args.reps // 2)):
                for impl in CACHE_IMPLS:
                    start = time.perf_counter()
                    tokens[impl] = greedy_decode(head.lm, state, head.max_new_tokens, head.prompt.eos_token_id,
                                                 head.tokenizer.pad_token_id, cache_impl=impl)
                    times[impl].append(time.perf_counter() - start)
        ratios = [s_ / p_ for s_, p_ in zip(times['static'], times['preallocated'])]
        report['decode_cache'] = dict(seconds=times, static_over_preallocated=ratios,
                                      same_tokens=bool(torch.equal(tokens['static'], tokens['preallocated'])))
        print(f'decoding {n} answers x {head.max_new_tokens} tokens: StaticCache ' +
              ', '.join(f'{t:.2f}' for t in times['static']) + ' s; preallocated ' +
              ', '.join(f'{t:.2f}' for t in times['preallocated']) + ' s; per-round ratio ' +
              ', '.join(f'{r:.2f}' for r in ratios) + f'; same tokens: {report["decode_cache"]["same_tokens"]}',
              flush=True)

    if 'scoring_vs_classes' not in args.skip:
        from sugar_mm.datasets.label_maps import load_label_map
        rows = {}
        configured = head.score_mode
        for c, lm in ((20, 'msr_action3d'), (60, 'ntu60'), (120, 'ntu120')):
            cls_names = load_label_map(lm)
            tree = head.candidate_trie(cls_names)
            with torch.no_grad():
                tp = timeit(lambda: head.encode_prompt(action, cls_names), max(1, args.reps // 2))
                st = head.encode_prompt(action, cls_names)
                rows[c] = dict(prompt_s=tp['median'], prompt_tokens=len(head.prompt(cls_names).prefix_ids) +
                               action.shape[1] + len(head.prompt(cls_names).suffix_ids))
                for mode, fed in (('likelihood', tree.node_tokens.numel()), ('constrained', tree.branch.keep.numel())):
                    head.score_mode = mode
                    ts = timeit(lambda: head.score_classes(action, cls_names, st), max(1, args.reps // 2))
                    rows[c][mode] = dict(scoring_s=ts['median'], fed_tree_tokens=int(fed),
                                         prompt_plus_scoring_over_prompt=(tp['median'] + ts['median']) / tp['median'])
            head.score_mode = configured
            print(f'C={c}: prompt {tp["median"]:.2f} s ({rows[c]["prompt_tokens"]} tokens/sample); ' + '; '.join(
                f'{mode} scoring +{rows[c][mode]["scoring_s"]:.2f} s -> '
                f'{rows[c][mode]["prompt_plus_scoring_over_prompt"]:.2f}x ({rows[c][mode]["fed_tree_tokens"]} tree '
                'tokens fed per sample)' for mode in ('likelihood', 'constrained')), flush=True)
        report['scoring_vs_classes'] = rows

    if 'tokens_vs_length' not in args.skip:
        from sugar_mm.models.bridges import build_bridge
        C = feats.shape[2]
        rows = {}
        original = head.bridge
        for kind, bcfg in (('tqp', dict(s2.model.cls_head.bridge)), ('linear', dict(type='linear'))):
            head.bridge = build_bridge(bcfg, C, head.llm_hidden).eval()
            for L in (32, 64, 128, 256):
                f = torch.randn(min(n, bs2), 1, C, L, 1)  # token_layout 'time' over L steps, a training batch
                saved = head.token_layout
                head.token_layout = 'time'
                with torch.no_grad():
                    act = head.action_tokens(f)
                    t = timeit(lambda: head.score_classes(act, names), max(1, args.reps // 2))
                head.token_layout = saved
                rows[f'{kind}_L{L}'] = dict(bridge=kind, L_s=L, llm_action_tokens=int(act.shape[1]),
                                            seconds=t['median'])
                print(f'{kind:6s} L_s={L:4d}: {act.shape[1]:4d} action tokens, prompt+scoring {t["median"]:.2f} s',
                      flush=True)
        head.bridge = original
        report['tokens_vs_length'] = rows

    report['peak_rss_mb'] = peak_rss_mb()
    return write_report(report, args.out)


def write_report(report, out):
    os.makedirs(osp.dirname(osp.abspath(out)) or '.', exist_ok=True)
    from sugar_mm.utils.io import atomic_write_text
    atomic_write_text(out, json.dumps(report, indent=1, default=float) + '\n')
    print(f'wrote {out}')
    return report

if __name__ == '__main__':
    main()
