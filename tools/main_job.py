"""The main job: SUGAR end to end on MSR Action3D with the embedded small models, on CPU.

    python tools/main_job.py [--quick] [--raw ../shared/data/msr_action3d] [--work-root work_dirs]

Runs, with each stage's progress shown by the tools themselves:

1. data preparation  ``tools/data/msr_action3d.py RAW data/msr_action3d/msr_action3d.pkl``
2. stage 1           ``tools/train.py configs/sugar/stage1_ctrgcn_msr3d_xsub.py``   (-> encoder.pth)
3. stage 2           ``tools/train.py configs/sugar/sugar_msr3d_xsub.py``            (TQP k=8 + SmolLM2 + LoRA)
4. test              ``tools/test.py configs/sugar/sugar_msr3d_xsub.py CKPT --dump results.pkl``

and ends by printing top-1/top-5 and a few generated answers next to the ground truth. These are the configs of
the README's Results (16-19 minutes on 2 cores). ``--quick`` runs their shortened versions in
``configs/sugar/quick/`` (stage 1 in 15 epochs instead of 30, a 5-epoch bridge warm-up instead of 10: ~15
minutes, at a large cost in accuracy). Training runs with ``--no-validate`` (the test split of X-Sub is the
validation split: step 4 evaluates it once). Every stage is the same command a user would type; this script
only chains them and summarises. A finished stage is skipped on a rerun when what it trained is unchanged (its
config with every inherited base, its options, the seed and, for stage 2, stage 1's fingerprint, recorded in
``main_job_stamp.json`` in its work dir); ``--force`` redoes everything.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import pickle
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: (stage 1, stage 2) configs: the README's Results configs, and their shortened versions
CONFIGS = dict(full=('configs/sugar/stage1_ctrgcn_msr3d_xsub.py', 'configs/sugar/sugar_msr3d_xsub.py'),
               quick=('configs/sugar/quick/stage1_ctrgcn_msr3d_xsub_15e.py',
                      'configs/sugar/quick/sugar_msr3d_xsub_quick.py'))
ANN = 'data/msr_action3d/msr_action3d.pkl'


def run(cmd, title):
    print(f'\n=== {title}\n$ {" ".join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, cwd=REPO, check=True)
    took = time.time() - start
    print(f'=== {title}: done in {took / 60:.1f} min', flush=True)
    return took


def last_checkpoint(work_dir):
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def fingerprint(config, options, seed, upstream=''):
    """What a stage trains: the merged config (every inherited base included), its options, seed, upstream."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, config), import_custom_modules=False)
    text = '\n'.join([cfg.pretty_text, repr(list(options)), str(seed), upstream])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def finished(work_dir, key, product):
    """True when ``product`` exists and was made by a run with fingerprint ``key``."""
    stamp = osp.join(REPO, work_dir, 'main_job_stamp.json')
    if not product or not osp.isfile(osp.join(REPO, product)) or not osp.isfile(stamp):
        return False
    with open(stamp) as f:
        return json.load(f).get('fingerprint') == key


def mark_finished(work_dir, key):
    with open(osp.join(REPO, work_dir, 'main_job_stamp.json'), 'w') as f:
        json.dump(dict(fingerprint=key), f)


def summarize(dump_file, class_names, n_examples=6):
    with open(dump_file, 'rb') as f:
        results = pickle.load(f)
    import numpy as np
    scores = np.stack([np.asarray(r['pred_score']) for r in results])
    labels = np.array([int(np.asarray(r['gt_label']).reshape(-1)[0]) for r in results])
    order = np.argsort(-scores, axis=1)
    top1 = float((order[:, 0] == labels).mean())
    top5 = float((order[:, :5] == labels[:, None]).any(1).mean())
    text_ok = [r.get('pred_text_label', -1) == int(np.asarray(r['gt_label']).reshape(-1)[0]) for r in results]
    print('\n' + '=' * 78)
    print(f'SUGAR on MSR Action3D X-Sub ({len(results)} test sequences)')
    print(f'  top-1 (class scores) {100 * top1:.1f}%   top-5 {100 * top5:.1f}%   '
          f'top-1 (generated text) {100 * float(np.mean(text_ok)):.1f}%')
    print('  generated answers:')
    rng = np.random.default_rng(0)
    for i in rng.choice(len(results), size=min(n_examples, len(results)), replace=False):
        r = results[i]
        gt = class_names[labels[i]]
        mark = 'ok ' if text_ok[i] else 'ERR'
        print(f'  [{mark}] {r.get("frame_dir", i)}  truth: {gt:<20s} answer: {r.get("pred_text", "")}')
    print('=' * 78)
    return top1, top5


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--raw', default=osp.join(osp.dirname(REPO), 'shared', 'data', 'msr_action3d'),
                        help='raw MSR Action3D folder (with real_world_coordinates/)')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument('--force', action='store_true', help='redo finished stages')
    parser.add_argument('--quick', action='store_true',
                        help='shortened schedules (~15 min on 2 cores instead of ~20, much less accurate)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    STAGE1, STAGE2 = CONFIGS['quick' if args.quick else 'full']
    py = sys.executable
    timings = {}
    total = time.time()

    if args.force or not osp.isfile(osp.join(REPO, ANN)):
        if not osp.isdir(args.raw):
            sys.exit(f'raw MSR Action3D not found at {args.raw}; pass --raw (see README, "Data")')
        timings['data'] = run([py, 'tools/data/msr_action3d.py', args.raw, ANN, '--force'], '1/4 data preparation')

    wd1 = osp.join(args.work_root, osp.splitext(osp.basename(STAGE1))[0])
    key1 = fingerprint(STAGE1, [], args.seed)
    if args.force or not finished(wd1, key1, osp.join(wd1, 'encoder.pth')):
        timings['stage1'] = run([py, 'tools/train.py', STAGE1, '--work-dir', wd1, '--seed', str(args.seed),
                                 '--no-validate'],
                                '2/4 stage 1: knowledge-supervised CTR-GCN')
        mark_finished(wd1, key1)

    wd2 = osp.join(args.work_root, osp.splitext(osp.basename(STAGE2))[0])
    options2 = [f'model.encoder_checkpoint={wd1}/encoder.pth']
    key2 = fingerprint(STAGE2, options2, args.seed, upstream=key1)
    ckpt = last_checkpoint(osp.join(REPO, wd2))
    if args.force or not finished(wd2, key2, ckpt):
        timings['stage2'] = run([py, 'tools/train.py', STAGE2, '--work-dir', wd2, '--seed', str(args.seed),
                                 '--no-validate', '--cfg-options'] + options2,
                                '3/4 stage 2: TQP + SmolLM2-135M-Instruct with LoRA')
        ckpt = last_checkpoint(osp.join(REPO, wd2))
        mark_finished(wd2, key2)
    dump = osp.join(wd2, 'test_results.pkl')
    timings['test'] = run([py, 'tools/test.py', STAGE2, ckpt, '--work-dir', wd2, '--dump', dump, '--cfg-options'] +
                          options2, '4/4 test')

    sys.path.insert(0, REPO)
    from sugar_mm.datasets.label_maps import load_label_map
    summarize(osp.join(REPO, dump), load_label_map('msr_action3d'))
    print('time per stage: ' + ', '.join(f'{k} {v / 60:.1f} min' for k, v in timings.items()) +
          f'; total {(time.time() - total) / 60:.1f} min')


if __name__ == '__main__':
    main()
