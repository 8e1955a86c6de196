"""Reproduce the MSR Action3D tables (real data, CPU, embedded models), once per seed.

    python tools/experiments/msr3d.py --table baselines   # mmaction ST-GCN / CTR-GCN, linear classifiers
    python tools/experiments/msr3d.py --table stage1      # SUGAR stage 1 + the knowledge ablation (paper Table 3)
    python tools/experiments/msr3d.py --table stage2      # full SUGAR, bridge ablation (Table 4), query sweep (Fig. 4)
    python tools/experiments/msr3d.py --table bridge      # bridge screens (warm-up only, alignment classifier)
    python tools/experiments/msr3d.py --table zsl         # 15 seen / 5 unseen classes: SUGAR vs the linear baseline
    python tools/experiments/msr3d.py --table stage2 --only sugar_tqp_k8 --seeds 0 1 2 3   # rows, seeds

Every (row, seed) is an ordinary ``tools/train.py --seed S`` + ``tools/test.py`` run (printed as it runs) on
X-Sub, in ``work_dirs/experiments/<row>/seed<S>/``; a finished one is reused (``--force`` reruns it,
``--retest`` re-runs only its tests). A stage-2 row trains its stage-1 row of the same seed first when missing.
The table's result file ``work_dirs/experiments/msr3d_<table>.json`` keeps every per-seed value with its machine
(CPU model, torch's CPU capability, threads, versions, date); the printed markdown shows mean ± std (n; min-max).
``--publish`` merges it into the shipped ``results/msr3d/<table>.json`` (which the README, ``docs/results.md``,
``configs/sugar/metafile.yml`` and the main job's expected range are made from). Run one table at a time on a
2-core machine (each row uses both cores).
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from sugar_mm.experiments import (Row, SeedRunner, markdown_table, merge_records, metafile,  # noqa: E402
                                  per_seed_lines, table_record)

ROOT = 'work_dirs/experiments'
PUBLISHED = 'results/msr3d'
S1 = 'configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py'
S2 = 'configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'
#: the main job's stage 2 (tools/main_job.py): S2's recipe with a linear bridge
S2_MAIN = 'configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'
S1_VQ = 'configs/sugar/stage1/ctrgcn-b32-vq512-knowledge_30e_msr3d-xsub.py'
S2_VQ = 'configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub-vq512.py'
ABL = 'configs/sugar/ablation'
#: the bridge ablation's configs (paper Table 4), same recipe as S2
#: the bridge screen: stage 2's bridge warm-up alone, measured by its alignment classifier
BRIDGE_ONLY = f'{ABL}/tqp-k8-bridge-only_10e_msr3d-xsub.py'
BRIDGE_METRICS = ['llm/align_top1', 'llm/top1']
BRIDGES = dict(linear=S2_MAIN,
               xattn=f'{ABL}/xattn-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py',
               qformer=f'{ABL}/qformer-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py')
ZSL = 'zsl:msr_action3d_15_5'
S1_METRICS = ['acc/top1', 'acc/top5', 'acc/mean1']
LLM_METRICS = ['llm/top1', 'llm/top5', 'llm/mean1', 'llm/text_top1', 'llm/parse_failure_rate']
ZSL_METRICS = ['zsl/top1', 'zsl/top5', 'zsl/seen_top1', 'zsl/unseen_top1', 'zsl/harmonic', 'zsl/harmonic_best',
               'zsl/ausuc']
W64 = ['model.backbone.base_channels=64', 'model.cls_head.in_channels=256']
ENC = ['model.encoder_checkpoint={stage1_dir}/encoder.pth']
TDS = ['model.keep_temporal_resolution=False']
#: the test pipeline's UniformSampleFrames (configs/_base_/datasets/msr_action3d_xsub.py): number of test clips
CLIPS = 'test_dataloader.dataset.pipeline.2.num_clips={}'
FIXED_LIST = ['model.cls_head.train_lists=None', 'model.cls_head.constrain_answers=False']


def llm_epochs(n, warmup=10):
    """Options training stage 2's LLM ``n`` epochs after ``warmup`` bridge epochs (the cosine follows)."""
    total = warmup + n
    return [f'train_cfg.max_epochs={total}', f'train_cfg.val_begin={total}', f'param_scheduler.1.T_max={n}',
            f'param_scheduler.1.end={total}']


def stage2(name, config, label, stage1='stage1_both', extra=()):
    return Row(name, config, ENC + list(extra), ENC + list(extra), stage1=stage1, metrics=LLM_METRICS, label=label)


def bridge(name, label, extra=()):
    return Row(name, BRIDGE_ONLY, ENC + list(extra), ENC + list(extra), stage1='stage1_both', metrics=BRIDGE_METRICS,
               label=label)


def tables():
    return {
        'baselines': [
            Row('stgcn', 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py', label='mmaction ST-GCN + GCNHead'),
            Row('ctrgcn', 'configs/baselines/ctrgcn-gcnhead_30e_msr3d-xsub.py',
                label='mmaction CTR-GCN (base 64, temporal down-sampling) + GCNHead'),
            # equal terms with the LLM recognizer, which tests 1 clip: the same checkpoints, 1 test clip
            Row('ctrgcn_1clip', 'configs/baselines/ctrgcn-gcnhead_30e_msr3d-xsub.py', test_options=[CLIPS.format(1)],
                checkpoint_of='ctrgcn', label='mmaction CTR-GCN + GCNHead, 1 test clip'),
        ],
        'stage1': [
            Row('stage1_none', f'{ABL}/ctrgcn-b32-knowledge-none_30e_msr3d-xsub.py',
                label='stage-1 encoder, cross-entropy + linear (no knowledge)'),
            Row('stage1_visual', f'{ABL}/ctrgcn-b32-knowledge-visual_30e_msr3d-xsub.py',
                label='... visual knowledge (MIL-NCE)'),
            Row('stage1_motion', f'{ABL}/ctrgcn-b32-knowledge-motion_30e_msr3d-xsub.py',
                label='... motion knowledge (MIL-NCE)'),
            Row('stage1_both', S1, label='... motion + visual knowledge (SUGAR stage 1, main job)'),
            Row('stage1_both_w64', S1, W64, label='... the same at base 64'),
            # equal terms with the LLM recognizer, which tests 1 clip: the same checkpoints, 1 test clip
            Row('stage1_none_1clip', f'{ABL}/ctrgcn-b32-knowledge-none_30e_msr3d-xsub.py',
                test_options=[CLIPS.format(1)], checkpoint_of='stage1_none', label='stage1_none, 1 test clip'),
            Row('stage1_both_1clip', S1, test_options=[CLIPS.format(1)], checkpoint_of='stage1_both',
                label='stage1_both, 1 test clip'),
            Row('stage1_both_centred', S1, ['model.cls_head.center_texts=True'],
                label='... motion + visual, knowledge texts centred'),
            Row('stage1_both_ce', S1, ['model.cls_head.ce_weight=1.0'],
                label='... motion + visual MIL-NCE + cross-entropy on a linear classifier (not the paper)'),
            # CTR-GCN's own temporal down-sampling kept (stride 2 twice: the encoder outputs T/4 = 8 steps, still a
            # time series), at base 32 and at mmaction's width 64
            Row('stage1_both_tds', S1, TDS, label='... with CTR-GCN\'s temporal down-sampling (T/4 steps out)'),
            Row('stage1_both_w64_tds', S1, W64 + TDS, label='... the same at base 64 (mmaction\'s CTR-GCN encoder)'),
            Row('stage1_both_mirror', f'{ABL}/ctrgcn-b32-knowledge-mirror_30e_msr3d-xsub.py',
                label='... motion + visual, half the training sequences mirrored (left/right)'),
            # codebook usage / perplexity: tools/analysis/codebook_stats.py --runs work_dirs/experiments/stage1_both_vq/*
            Row('stage1_both_vq', S1_VQ, label='... with a VQ neck (512 codes)'),
        ],
        'stage2': [
            stage2('sugar_tqp_k8', S2, 'SUGAR: TQP k=8 (the paper\'s bridge) + SmolLM2-135M + LoRA r16'),
            Row('sugar_tqp_k8_5clip', S2, ENC, ENC + [CLIPS.format(5)], stage1='stage1_both', metrics=LLM_METRICS,
                checkpoint_of='sugar_tqp_k8', label='... tested on 5 clips (class probabilities averaged)'),
            # before list-conditioned training: one list in label order, free generation
            stage2('sugar_tqp_k8_fixed_list', S2, '... trained with one fixed list, answers generated freely',
                   extra=FIXED_LIST),
            # fewer foreign names per training list: shorter prompts (list conditioning costs 1.4x at max_pool=100)
            stage2('sugar_tqp_k8_pool20', S2, '... at most 20 foreign names per training list',
                   extra=['model.cls_head.train_lists.max_pool=20']),
            # the LLM trained 4 epochs instead of 2 (its answer loss still falls at the end of epoch 2), made
            # affordable by the shorter lists of max_pool=20
            stage2('sugar_tqp_k8_pool20_4e', S2, '... 4 LLM epochs, at most 20 foreign names per training list',
                   extra=['model.cls_head.train_lists.max_pool=20'] + llm_epochs(4)),
            stage2('sugar_tqp_k8_tds', S2, '... on the temporally down-sampled encoder (8 steps: one TQP segment)',
                   'stage1_both_tds', TDS),
            # the LLM reads a new list every batch, the bridge is aligned to all 20 classes (as with one fixed list)
            stage2('sugar_tqp_k8_align_classes', S2, '... list-conditioned LLM, bridge aligned to the 20 classes',
                   extra=['model.cls_head.align_targets=classes']),
            stage2('sugar_tqp_k8_vq', S2_VQ, '... on the VQ-neck encoder (discrete action tokens)', 'stage1_both_vq'),
            stage2('sugar_tqp_k8_w64', S2, '... on the base-64 encoder', 'stage1_both_w64', W64),
            stage2('sugar_linear', S2_MAIN, 'SUGAR: linear bridge + SmolLM2-135M + LoRA r16 (main job)'),
            # fewer foreign names per training list on the main job's recipe: 20% faster stage 2
            stage2('sugar_linear_pool20', S2_MAIN, '... linear bridge, at most 20 foreign names per training list',
                   extra=['model.cls_head.train_lists.max_pool=20']),
            # the paper's Table-3 question on our chain: the same stage 2 on the cross-entropy encoder (no knowledge)
            # (its stage-1 config exports no encoder.pth: the encoder weights come from its last checkpoint)
            stage2('sugar_linear_ce_encoder', S2_MAIN, '... linear bridge on the cross-entropy encoder (no knowledge)',
                   'stage1_none', ['model.encoder_checkpoint={stage1_dir}/epoch_30.pth']),
            # the shared list prefix run without autograd (LoRA learns only from the per-sample positions): the
            # prefix's backward, the largest share of a list-conditioned step, is skipped
            stage2('sugar_linear_prefix_nograd', S2_MAIN, '... linear bridge, the list prefix without autograd',
                   extra=['model.cls_head.prompt_prefix_grad=False']),
            # the linear bridge on the temporally down-sampled encoder: 8 action tokens instead of 32
            stage2('sugar_linear_tds', S2_MAIN, '... linear bridge on the temporally down-sampled encoder (8 tokens)',
                   'stage1_both_tds', TDS),
            stage2('sugar_xattn', BRIDGES['xattn'], '... cross-attention bridge'),
            stage2('sugar_qformer', BRIDGES['qformer'], '... one Q-Former over the whole sequence'),
            # the paper's training (answer loss only), without our alignment loss and bridge warm-up
            stage2('sugar_tqp_k8_no_align', f'{ABL}/tqp-k8-noalign_smollm2-135m-lora-r16_2e_msr3d-xsub.py',
                   '... TQP trained as the paper does (no alignment loss, no warm-up)'),
        ] + [stage2(f'sugar_tqp_k{k}', S2, f'... TQP k={k}', extra=[f'model.cls_head.bridge.num_queries={k}'])
             for k in (1, 4, 16)],
        # screens of the bridge (cheap: no LLM training); each row is BRIDGE_ONLY with one change
        'bridge': [bridge('bridge_only', 'TQP k=8, 10 alignment epochs, list-conditioned (sugar_tqp_k8\'s warm-up)'),
                   bridge('bridge_only_fixed_list', '... aligned to the 20 MSR names only',
                          ['model.cls_head.train_lists=None']),
                   bridge('bridge_only_30e', '... 30 epochs', ['train_cfg.max_epochs=30', 'custom_hooks.0.epochs=30']),
                   bridge('bridge_only_drop', '... dropout 0.1 in the Q-Former', ['model.cls_head.bridge.dropout=0.1']),
                   bridge('bridge_only_t005', '... alignment temperature 0.05',
                          ['model.cls_head.loss_align.temperature=0.05']),
                   # (align_targets='classes' aligns the bridge exactly as bridge_only_fixed_list does)
                   bridge('bridge_only_align_union', '... aligned to the 20 MSR names + the batch list\'s other names',
                          ['model.cls_head.align_targets=classes+list']),
                   Row('bridge_only_linear', f'{ABL}/linear-bridge-only_10e_msr3d-xsub.py', ENC, ENC,
                       stage1='stage1_both', metrics=BRIDGE_METRICS,
                       label='linear bridge instead of the TQP (a linear readout of the pooled features)')],
        'zsl': [
            Row('zsl_stage1', 'configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py', metrics=ZSL_METRICS,
                test_classes=[f'{ZSL}:unseen', f'{ZSL}:all'], label='SUGAR stage 1 (text similarity)'),
            Row('zsl_linear_conse', 'configs/baselines/zsl/ctrgcn-b32-conse_30e_msr3d-zsl-15-5.py',
                metrics=ZSL_METRICS, test_classes=[f'{ZSL}:unseen', f'{ZSL}:all'], label='linear + ConSE'),
            Row('zsl_sugar', 'configs/sugar/zsl/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py', ENC, ENC,
                stage1='zsl_stage1', metrics=ZSL_METRICS + ['zsl_text/top1', 'llm/parse_failure_rate'],
                test_classes=[f'{ZSL}:unseen', f'{ZSL}:all'], label='SUGAR (LLM), list-conditioned'),
            Row('zsl_sugar_linear', 'configs/sugar/zsl/linear_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py', ENC, ENC,
                stage1='zsl_stage1', metrics=ZSL_METRICS + ['zsl_text/top1', 'llm/parse_failure_rate'],
                test_classes=[f'{ZSL}:unseen', f'{ZSL}:all'],
                label='SUGAR (LLM), list-conditioned, linear bridge (the main job\'s stage 2)'),
            Row('zsl_sugar_fixed_list', 'configs/sugar/zsl/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py',
                ENC + FIXED_LIST, ENC + FIXED_LIST, stage1='zsl_stage1',
                metrics=ZSL_METRICS + ['zsl_text/top1', 'llm/parse_failure_rate'],
                test_classes=[f'{ZSL}:unseen', f'{ZSL}:all'], label='SUGAR (LLM), one fixed list (before)'),
        ],
    }


def all_rows():
    return {r.name: r for t in tables().values() for r in t}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--table', required=True, choices=['baselines', 'stage1', 'stage2', 'bridge', 'zsl', 'all'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], help='seeds (default: 0 1 2)')
    parser.add_argument('--only', nargs='+', help='run only these rows')
    parser.add_argument('--force', action='store_true', help='retrain and retest finished (row, seed) runs')
    parser.add_argument('--retest', action='store_true', help='re-run only the tests of finished runs')
    parser.add_argument('--report', action='store_true', help='run nothing: print the tables of finished runs')
    parser.add_argument('--publish', action='store_true',
                        help=f'merge the results into {PUBLISHED}/<table>.json and rewrite configs/sugar/metafile.yml')
    args = parser.parse_args(argv)
    if not args.report and not osp.isfile(osp.join(REPO, 'data/msr_action3d/msr_action3d.pkl')):
        raise SystemExit('run python tools/data/msr_action3d.py RAW data/msr_action3d/msr_action3d.pkl first')
    every = tables()
    rows_by_name = all_rows()
    unknown = set(args.only or []) - set(rows_by_name)
    if unknown:
        raise SystemExit(f'unknown rows {sorted(unknown)}; rows: {sorted(rows_by_name)}')
    runner = SeedRunner(REPO, ROOT, rows_by_name.__getitem__)
    names = list(every) if args.table == 'all' else [args.table]
    for name in names:
        rows = [r for r in every[name] if not args.only or r.name in args.only]
        if not args.report:
            for seed in args.seeds:
                for r in rows:
                    res = runner.run(r, seed, args.force, args.retest)
                    print(f'{r.name} seed {seed}: {json.dumps(res["tests"])}', flush=True)
        record = table_record(name, rows, {r.name: runner.collect(r) for r in rows})
        out = osp.join(REPO, ROOT, f'msr3d_{name}.json')
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(record, f, indent=1)
        metrics = rows[0].metrics if rows else []
        tests = sorted({t for e in record['rows'].values() for s in e['seeds'].values() for t in s['tests']})
        for test in tests or ['default']:
            print(f'\n## {name}' + ('' if test == 'default' else f' [{test}]') + '\n' +
                  markdown_table(record, metrics, test))
            print('\n'.join(per_seed_lines(record, metrics[0], test)))
        print(f'(wrote {out})')
        if args.publish:
            publish(name, record)


def publish(name, record):
    import yaml
    path = osp.join(REPO, PUBLISHED, f'{name}.json')
    old = {}
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(merge_records(old, record), f, indent=1)
    records = []
    for fname in sorted(os.listdir(osp.join(REPO, PUBLISHED))):
        with open(osp.join(REPO, PUBLISHED, fname)) as f:
            records.append(json.load(f))
    with open(osp.join(REPO, 'configs/sugar/metafile.yml'), 'w') as f:
        f.write('# Generated by python tools/experiments/msr3d.py --publish from results/msr3d/*.json\n')
        yaml.safe_dump(metafile(records), f, sort_keys=False, allow_unicode=True)
    print(f'(published {path} and configs/sugar/metafile.yml)')


if __name__ == '__main__':
    main()
