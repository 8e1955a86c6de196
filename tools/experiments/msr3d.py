"""Reproduce the MSR Action3D tables of the README (real data, CPU, embedded models).

    python tools/experiments/msr3d.py --table baselines   # mmaction ST-GCN / CTR-GCN, linear classifiers
    python tools/experiments/msr3d.py --table stage1      # SUGAR stage 1 + the knowledge ablation (paper Table 3)
    python tools/experiments/msr3d.py --table stage2      # full SUGAR, bridge ablation (Table 4), query sweep (Fig. 4)
    python tools/experiments/msr3d.py --table zsl         # 15 seen / 5 unseen classes: SUGAR vs the linear baseline
    python tools/experiments/msr3d.py --table all

Every row is an ordinary ``tools/train.py`` + ``tools/test.py`` run (printed as it runs) on X-Sub with a fixed
seed; finished rows are reused (``--force`` reruns them, ``--retest`` re-runs only their tests). Results go to ``work_dirs/experiments/msr3d_<table>.json``
and are printed as markdown tables. Run one table at a time on a 2-core machine (each row uses both cores).
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = 'work_dirs/experiments'
S1 = 'configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py'
S2 = 'configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'
ABL = 'configs/sugar/ablation'
#: the bridge ablation's configs (paper Table 4), same recipe as S2
BRIDGES = dict(linear=f'{ABL}/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py',
               xattn=f'{ABL}/xattn-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py',
               qformer=f'{ABL}/qformer-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py')
ZSL = 'zsl:msr_action3d_15_5'


def row(name, config, options=(), test_options=(), stage1=None, metrics=('acc/top1', 'acc/top5'),
        test_classes=()):
    """One experiment: train ``config`` (with ``options``), then test it (once per entry of ``test_classes``)."""
    return dict(name=name, config=config, options=list(options), test_options=list(test_options), stage1=stage1,
                metrics=list(metrics), test_classes=list(test_classes))


S1_METRICS = ('acc/top1', 'acc/top5', 'acc/mean1')
W64 = ('model.backbone.base_channels=64', 'model.cls_head.in_channels=256')
LLM_METRICS = ('llm/top1', 'llm/top5', 'llm/text_top1', 'llm/parse_failure_rate')


def tables():
    enc = f'{ROOT}/stage1_both/encoder.pth'
    return {
        'baselines': [
            row('stgcn', 'configs/baselines/stgcn-gcnhead_30e_msr3d-xsub.py', metrics=S1_METRICS),
            row('ctrgcn', 'configs/baselines/ctrgcn-gcnhead_30e_msr3d-xsub.py', metrics=S1_METRICS),
        ],
        'stage1': [
            row('stage1_none', f'{ABL}/ctrgcn-b32-knowledge-none_30e_msr3d-xsub.py', metrics=S1_METRICS),
            row('stage1_visual', f'{ABL}/ctrgcn-b32-knowledge-visual_30e_msr3d-xsub.py', metrics=S1_METRICS),
            row('stage1_motion', f'{ABL}/ctrgcn-b32-knowledge-motion_30e_msr3d-xsub.py', metrics=S1_METRICS),
            row('stage1_both', S1, metrics=S1_METRICS),
            # the same at the full CTR-GCN width of the baselines (base 64; ~2x the CPU time)
            row('stage1_both_w64', S1, W64, metrics=S1_METRICS),
        ],
        'stage2': [
            row('sugar_tqp_k8', S2, [f'model.encoder_checkpoint={enc}'], [f'model.encoder_checkpoint={enc}'],
                stage1='stage1_both', metrics=LLM_METRICS),
            row('sugar_tqp_k8_w64', S2, [f'model.encoder_checkpoint={ROOT}/stage1_both_w64/encoder.pth', *W64],
                [f'model.encoder_checkpoint={ROOT}/stage1_both_w64/encoder.pth', *W64], stage1='stage1_both_w64',
                metrics=LLM_METRICS),
        ] + [
            row(f'sugar_{b}', BRIDGES[b], [f'model.encoder_checkpoint={enc}'],
                [f'model.encoder_checkpoint={enc}'], stage1='stage1_both', metrics=LLM_METRICS)
            for b in ('linear', 'xattn', 'qformer')
        ] + [
            # the paper's training (answer loss only), without our alignment loss and bridge warm-up
            row('sugar_tqp_k8_no_align', f'{ABL}/tqp-k8-noalign_smollm2-135m-lora-r16_2e_msr3d-xsub.py',
                [f'model.encoder_checkpoint={enc}'], [f'model.encoder_checkpoint={enc}'], stage1='stage1_both',
                metrics=LLM_METRICS),
        ] + [
            row(f'sugar_tqp_k{k}', S2, [f'model.encoder_checkpoint={enc}', f'model.cls_head.bridge.num_queries={k}'],
                [f'model.encoder_checkpoint={enc}', f'model.cls_head.bridge.num_queries={k}'], stage1='stage1_both',
                metrics=LLM_METRICS) for k in (1, 4, 16)
        ],
        'zsl': [
            row('zsl_stage1', 'configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py',
                metrics=('zsl/top1', 'zsl/top5'),
                test_classes=(f'{ZSL}:unseen', f'{ZSL}:all')),
            row('zsl_linear_conse', 'configs/baselines/zsl/ctrgcn-b32-conse_30e_msr3d-zsl-15-5.py',
                metrics=('zsl/top1', 'zsl/top5'), test_classes=(f'{ZSL}:unseen', f'{ZSL}:all')),
            row('zsl_sugar', 'configs/sugar/zsl/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py',
                [f'model.encoder_checkpoint={ROOT}/zsl_stage1/encoder.pth'],
                [f'model.encoder_checkpoint={ROOT}/zsl_stage1/encoder.pth'], stage1='zsl_stage1',
                metrics=('zsl/top1', 'zsl/top5', 'zsl_text/top1'), test_classes=(f'{ZSL}:unseen', f'{ZSL}:all')),
        ],
    }


def run(cmd, log_file):
    print('$ ' + ' '.join(cmd), flush=True)
    start = time.time()
    with open(log_file, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode:
        with open(log_file) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'failed ({proc.returncode}); log {log_file}:\n{tail}')
    return time.time() - start


def parse_metrics(log_file):
    """The metrics of the last ``Epoch(test)`` line of a tools/test.py log."""
    with open(log_file) as f:
        lines = [line for line in f if 'Epoch(test)' in line]
    if not lines:
        raise SystemExit(f'no Epoch(test) line in {log_file}')
    return {k: float(v) for k, v in re.findall(r'(\S+): (-?[0-9.]+(?:e-?\d+)?)', lines[-1])
            if k not in ('data_time', 'time')}


def last_checkpoint(work_dir):
    with open(osp.join(REPO, work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def run_row(r, force, seed, retest=False):
    """Train and test one row; a finished row is reused, or only re-tested with ``retest`` (e.g. after a
    metric was added), keeping its trained checkpoint and training time."""
    wd = f'{ROOT}/{r["name"]}'
    result_file = osp.join(REPO, wd, 'result.json')
    previous = None
    if osp.isfile(result_file):
        with open(result_file) as f:
            previous = json.load(f)
    if previous is not None and not force and not retest:
        return previous
    os.makedirs(osp.join(REPO, wd), exist_ok=True)
    py = sys.executable
    opts = ['--cfg-options'] + r['options'] if r['options'] else []
    if retest and not force and previous is not None:
        train_minutes = previous['train_minutes']
    else:
        t_train = run([py, 'tools/train.py', r['config'], '--work-dir', wd, '--seed', str(seed), '--no-validate'] +
                      opts, osp.join(REPO, wd, 'train.log'))
        train_minutes = round(t_train / 60, 2)
    ckpt = last_checkpoint(wd)
    result = dict(name=r['name'], config=r['config'], options=r['options'], train_minutes=train_minutes,
                  tests={})
    for classes in r['test_classes'] or [None]:
        test_opts = ['--cfg-options'] + r['test_options'] if r['test_options'] else []
        extra = ['--classes', classes] if classes else []
        key = classes or 'default'
        log = osp.join(REPO, wd, f'test_{key.replace(":", "_")}.log')
        t_test = run([py, 'tools/test.py', r['config'], ckpt, '--work-dir', wd] + extra + test_opts, log)
        metrics = parse_metrics(log)
        metrics['test_minutes'] = round(t_test / 60, 2)
        result['tests'][key] = metrics
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def markdown(rows, results):
    lines = []
    for r in rows:
        res = results[r['name']]
        for key, metrics in res['tests'].items():
            cells = [f'{100 * metrics[m]:.1f}' if m in metrics else '-' for m in r['metrics']]
            label = r['name'] + ('' if key == 'default' else f' [{key.split(":")[-1]}]')
            extra = [f'{m}: {100 * metrics[m]:.1f}'
                     for m in ('zsl/seen_top1', 'zsl/unseen_top1', 'zsl/harmonic', 'zsl/ausuc') if m in metrics]
            lines.append(f'| {label} | ' + ' | '.join(f'{m} {c}' for m, c in zip(r['metrics'], cells)) +
                         (' | ' + ', '.join(extra) if extra else '') + f' | {res["train_minutes"]:.1f} min |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--table', required=True, choices=['baselines', 'stage1', 'stage2', 'zsl', 'all'])
    parser.add_argument('--force', action='store_true', help='retrain and retest finished rows')
    parser.add_argument('--retest', action='store_true', help='re-run only the tests of finished rows')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', nargs='+', help='run only these rows')
    args = parser.parse_args(argv)
    if not osp.isfile(osp.join(REPO, 'data/msr_action3d/msr_action3d.pkl')):
        raise SystemExit('run python tools/data/msr_action3d.py RAW data/msr_action3d/msr_action3d.pkl first')
    all_tables = tables()
    names = list(all_tables) if args.table == 'all' else [args.table]
    for name in names:
        rows = [r for r in all_tables[name] if not args.only or r['name'] in args.only]
        results = {}
        for r in rows:
            if r['stage1'] and not osp.isfile(osp.join(REPO, ROOT, r['stage1'], 'encoder.pth')):
                stage1_rows = [x for t in all_tables.values() for x in t if x['name'] == r['stage1']]
                run_row(stage1_rows[0], False, args.seed)
            results[r['name']] = run_row(r, args.force, args.seed, args.retest)
            print(json.dumps(results[r['name']]['tests']), flush=True)
        out = osp.join(REPO, ROOT, f'msr3d_{name}.json')
        with open(out, 'w') as f:
            json.dump(results, f, indent=1)
        print(f'\n## {name}\n' + markdown(rows, results) + f'\n(wrote {out})')


if __name__ == '__main__':
    main()
