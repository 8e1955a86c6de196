"""The main job: SUGAR end to end on MSR Action3D with the embedded small models, on CPU.

    python tools/main_job.py [--quick] [--raw ../shared/data/msr_action3d] [--work-root work_dirs]

Runs, with each stage's progress shown by the tools themselves:

1. data preparation  ``tools/data/msr_action3d.py RAW data/msr_action3d/msr_action3d.pkl``
2. stage 1           ``tools/train.py configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py``  (-> encoder.pth)
3. stage 2           ``tools/train.py configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py``
                     (linear bridge + SmolLM2 + LoRA; the paper's TQP bridge, ``tqp-k8_...``, reads worse on
                     MSR's 284 training sequences: docs/results.md)
4. test              ``tools/test.py <the stage-2 config> CKPT --dump results.pkl``

and ends by printing top-1/top-5 and a few generated answers next to the ground truth. These are the configs of
the README's Results (timings in the README). ``--quick`` runs their shortened versions
(``configs/sugar/stage1/ctrgcn-b32-knowledge_15e_msr3d-xsub.py``: stage 1 in 15 epochs instead of 30;
``configs/sugar/stage2/linear_smollm2-135m-lora-r16_5w2e_msr3d-xsub.py``: a 5-epoch bridge warm-up instead of 10;
at a large cost in accuracy). Training runs with ``--no-validate`` (the test split of X-Sub is the
validation split: step 4 evaluates it once). Every stage is the same command a user would type; this script
only chains them and summarises. A finished stage is skipped on a rerun when what it trained is unchanged (its
config with every inherited base, its options, the seed and, for stage 2, stage 1's fingerprint, recorded in
``main_job_stamp.json`` in its work dir); ``--force`` redoes everything.

The pieces (:func:`fingerprint`, :func:`finished` / :func:`mark_finished`, :func:`summarize`) are importable;
``tools/main_job.py`` is the command line (:func:`main`). The job runs from a source checkout: ``REPO`` is the
folder that holds ``sugar_mm/``, ``configs/`` and ``tools/``.
"""
import argparse
import hashlib
import json
import os.path as osp
import pickle
import subprocess
import sys
import time
from typing import Dict, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: (stage 1, stage 2) configs: the README's Results configs, and their shortened versions
CONFIGS = dict(full=('configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py',
                     'configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'),
               quick=('configs/sugar/stage1/ctrgcn-b32-knowledge_15e_msr3d-xsub.py',
                      'configs/sugar/stage2/linear_smollm2-135m-lora-r16_5w2e_msr3d-xsub.py'))
ANN = 'data/msr_action3d/msr_action3d.pkl'


def run(cmd: Sequence[str], title: str) -> float:
    """Run one stage's command in ``REPO`` (its output goes to the terminal); returns the seconds it took."""
    print(f'\n=== {title}\n$ {" ".join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, cwd=REPO, check=True)
    took = time.time() - start
    print(f'=== {title}: done in {took / 60:.1f} min', flush=True)
    return took


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, or None if there is none (or it is gone)."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def fingerprint(config: str, options: Sequence[str], seed: int, upstream: str = '') -> str:
    """What a stage trains: the merged config (every inherited base included), its options, seed, upstream.

    Args:
        config (str): The config, relative to ``REPO`` (or absolute).
        options (Sequence[str]): Its ``--cfg-options``.
        seed (int): The training seed.
        upstream (str): The fingerprint of the stage it starts from (stage 1 for stage 2).

    Returns:
        str: 16 hex digits.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, config), import_custom_modules=False)
    text = '\n'.join([cfg.pretty_text, repr(list(options)), str(seed), upstream])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def finished(work_dir: str, key: str, product: Optional[str]) -> bool:
    """True when ``product`` exists and was made by a run with fingerprint ``key`` (paths relative to ``REPO``)."""
    stamp = osp.join(REPO, work_dir, 'main_job_stamp.json')
    if not product or not osp.isfile(osp.join(REPO, product)) or not osp.isfile(stamp):
        return False
    with open(stamp) as f:
        return json.load(f).get('fingerprint') == key


def mark_finished(work_dir: str, key: str) -> None:
    """Record in ``work_dir`` that what it holds was made by a run with fingerprint ``key``."""
    with open(osp.join(REPO, work_dir, 'main_job_stamp.json'), 'w') as f:
        json.dump(dict(fingerprint=key), f)


def summarize(dump_file: str, class_names: Sequence[str], n_examples: int = 6) -> Tuple[float, float]:
    """Print top-1/top-5 of a ``tools/test.py --dump`` file and a few generated answers; returns (top-1, top-5)."""
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


#: The shipped multi-seed results of the main job's configs: (result file, row), by recipe.
EXPECTED = dict(full=('results/msr3d/stage2.json', 'sugar_linear'))


def expected_range(top1: float, quick: bool = False, repo: str = REPO) -> Tuple[str, Optional[bool]]:
    """How a main-job top-1 compares with the shipped multi-seed results of the same configs.

    Returns:
        tuple: the sentence to print, and whether ``top1`` is inside the expected range (mean ± 2 std, widened
        to the seeds' min-max); None when no shipped result covers this recipe.
    """
    from sugar_mm.experiments import SeedStats, machine_label, metric_values
    entry = EXPECTED.get('quick' if quick else 'full')
    path = osp.join(repo, entry[0]) if entry else None
    if path is None or not osp.isfile(path):
        return 'expected range: no shipped multi-seed result for this recipe', None
    with open(path) as f:
        seeds = json.load(f)['rows'].get(entry[1], {}).get('seeds', {})
    values = metric_values(seeds, 'llm/top1')
    if len(values) < 2:
        return f'expected range: fewer than 2 seeds in {entry[0]}', None
    s = SeedStats.of(values)
    lo, hi = min(s.lo, s.mean - 2 * s.std), max(s.hi, s.mean + 2 * s.std)
    where = sorted({f'{machine_label(r["machine"])}, {r["machine"]["date"][:10]}' for r in seeds.values()})
    inside = lo <= top1 <= hi
    verdict = ('inside it: a normal result' if inside else
               'OUTSIDE it: not a normal result for these configs (see docs/results.md, "Reproducibility")')
    return (f'expected top-1 (class scores) from {s.n} seeds on {"; ".join(where)}: {100 * s.mean:.1f} ± '
            f'{100 * s.std:.1f}% (seeds {100 * s.lo:.1f}-{100 * s.hi:.1f}%); this run {100 * top1:.1f}% is '
            f'{verdict}'), inside


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The flags of ``tools/main_job.py``."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--raw', default=osp.join(osp.dirname(REPO), 'shared', 'data', 'msr_action3d'),
                        help='raw MSR Action3D folder (with real_world_coordinates/)')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument('--force', action='store_true', help='redo finished stages')
    parser.add_argument('--quick', action='store_true',
                        help='shortened schedules (~15 min on 2 cores instead of ~20, much less accurate)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    """Data preparation, stage 1, stage 2 and test, each skipped when its product is up to date; then the summary.

    Returns:
        dict: The minutes each stage that ran took, by name (``data``, ``stage1``, ``stage2``, ``test``).
    """
    args = parse_args(argv)
    stage1, stage2 = CONFIGS['quick' if args.quick else 'full']
    py = sys.executable
    timings = {}
    total = time.time()

    if args.force or not osp.isfile(osp.join(REPO, ANN)):
        if not osp.isdir(args.raw):
            sys.exit(f'raw MSR Action3D not found at {args.raw}; pass --raw (see README, "Data")')
        timings['data'] = run([py, 'tools/data/msr_action3d.py', args.raw, ANN, '--force'], '1/4 data preparation')

    wd1 = osp.join(args.work_root, osp.splitext(osp.basename(stage1))[0])
    key1 = fingerprint(stage1, [], args.seed)
    if args.force or not finished(wd1, key1, osp.join(wd1, 'encoder.pth')):
        timings['stage1'] = run([py, 'tools/train.py', stage1, '--work-dir', wd1, '--seed', str(args.seed),
                                 '--no-validate'],
                                '2/4 stage 1: knowledge-supervised CTR-GCN')
        mark_finished(wd1, key1)

    wd2 = osp.join(args.work_root, osp.splitext(osp.basename(stage2))[0])
    options2 = [f'model.encoder_checkpoint={wd1}/encoder.pth']
    key2 = fingerprint(stage2, options2, args.seed, upstream=key1)
    ckpt = last_checkpoint(osp.join(REPO, wd2))
    if args.force or not finished(wd2, key2, ckpt):
        timings['stage2'] = run([py, 'tools/train.py', stage2, '--work-dir', wd2, '--seed', str(args.seed),
                                 '--no-validate', '--cfg-options'] + options2,
                                '3/4 stage 2: TQP + SmolLM2-135M-Instruct with LoRA')
        ckpt = last_checkpoint(osp.join(REPO, wd2))
        mark_finished(wd2, key2)
    dump = osp.join(wd2, 'test_results.pkl')
    timings['test'] = run([py, 'tools/test.py', stage2, ckpt, '--work-dir', wd2, '--dump', dump, '--cfg-options'] +
                          options2, '4/4 test')

    from sugar_mm.datasets.label_maps import load_label_map
    top1, _ = summarize(osp.join(REPO, dump), load_label_map('msr_action3d'))
    print(expected_range(top1, args.quick)[0])
    print('time per stage: ' + ', '.join(f'{k} {v / 60:.1f} min' for k, v in timings.items()) +
          f'; total {(time.time() - total) / 60:.1f} min')
    return {k: v / 60 for k, v in timings.items()}
