"""Codebook usage, perplexity and code-class information of a VQ neck over a split, per run and over seeds.

    python tools/analysis/codebook_stats.py --runs work_dirs/experiments/stage1_both_vq/seed0 .../seed1 .../seed2
    python tools/analysis/codebook_stats.py --config CFG --checkpoint CKPT [--split train]

Every (clip, person, frame, joint) token of the split (the test pipeline; ``--split train`` reads the training
split through it too) is coded with the trained codebook, read-only; the statistics are
``sugar_mm/analysis/codebook.py``'s. ``--out`` writes them as JSON with the machine.
"""
import argparse
import json
import os.path as osp
import sys
from dataclasses import asdict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

#: statistic -> (scale, digits) as printed over runs (usage in %)
KEYS = dict(usage=(100.0, 1), perplexity=(1.0, 1), class_nmi=(1.0, 3), codes_per_sample=(1.0, 1))


def main(argv=None):
    from sugar_mm.experiments.runner import add_run_arguments, runs_from_args
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_run_arguments(p)
    p.add_argument('--split', choices=['test', 'train'], default='test')
    p.add_argument('--out')
    args = p.parse_args(argv)
    specs = runs_from_args(p, args)
    import torch

    from sugar_mm.analysis.builders import split_dataset_cfg
    from sugar_mm.analysis.codebook import codebook_stats, collect_codes
    from sugar_mm.apis import init_recognizer
    from sugar_mm.experiments.machine import machine_info
    from sugar_mm.experiments.stats import SeedStats
    from sugar_mm.registry import DATASETS
    torch.set_grad_enabled(False)
    table = {}
    for spec in specs:
        model = init_recognizer(spec.config, spec.checkpoint, cfg_options=spec.options)
        got = collect_codes(model, DATASETS.build(split_dataset_cfg(model.cfg, args.split)))
        table[spec.name] = [asdict(codebook_stats(c, got['labels'], k)) for c, k in zip(got['codes'],
                                                                                         got['num_codes'])]
        for q, s in enumerate(table[spec.name]):
            print(f'{spec.name} codebook {q}: {s["used"]}/{s["num_codes"]} codes used '
                  f'({100 * s["usage"]:.1f}%), perplexity {s["perplexity"]:.1f}, code-class NMI '
                  f'{s["class_nmi"]:.3f}, {s["codes_per_sample"]:.1f} codes per sample '
                  f'({s["num_tokens"]} tokens)', flush=True)
    if len(table) > 1:
        for q in range(min(len(v) for v in table.values())):
            for key, (scale, digits) in KEYS.items():
                vals = {i: v[q][key] for i, v in enumerate(table.values())}
                print(f'codebook {q} {key}: ' + SeedStats.of(vals).format(scale=scale, digits=digits))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(runs=table, split=args.split, machine=machine_info()), f, indent=1)
        print(f'(wrote {args.out})')


if __name__ == '__main__':
    main()
