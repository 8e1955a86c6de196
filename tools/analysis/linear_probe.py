"""A linear probe on a frozen encoder's pooled features (train split -> test split), per run and over seeds.

    python tools/analysis/linear_probe.py --runs work_dirs/experiments/stage1_both/seed0 .../seed1 .../seed2
    python tools/analysis/linear_probe.py --config CFG --checkpoint CKPT

Features: the encoder's output pooled over time, joints and persons, averaged over the config's test clips, for
the training split (through the test pipeline: no augmentation) and the test split; a standardised logistic
regression (``sugar_mm/analysis/linear_probe.py``). Prints train / test top-1 per run and mean ± std over runs;
``--out`` writes them as JSON with the machine.
"""
import argparse
import json
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)


def main(argv=None):
    from sugar_mm.experiments.runner import add_run_arguments, runs_from_args
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_run_arguments(p)
    p.add_argument('--C', type=float, default=1.0, help='inverse L2 strength of the logistic regression')
    p.add_argument('--out')
    args = p.parse_args(argv)
    specs = runs_from_args(p, args)
    import torch

    from sugar_mm.analysis.builders import split_dataset_cfg
    from sugar_mm.analysis.linear_probe import fit_linear_probe
    from sugar_mm.apis import extract_features, init_recognizer
    from sugar_mm.experiments.machine import machine_info
    from sugar_mm.experiments.stats import SeedStats
    from sugar_mm.registry import DATASETS
    torch.set_grad_enabled(False)
    table = {}
    for spec in specs:
        name = spec.name
        model = init_recognizer(spec.config, spec.checkpoint, cfg_options=spec.options)
        train = extract_features(model, DATASETS.build(split_dataset_cfg(model.cfg, 'train')))
        test = extract_features(model, DATASETS.build(split_dataset_cfg(model.cfg, 'test')))
        res = fit_linear_probe(train['feats'], train['labels'], test['feats'], test['labels'], C=args.C)
        table[name] = dict(train_top1=res.train_top1, test_top1=res.test_top1, num_train=res.num_train,
                           num_test=res.num_test)
        print(f'{name}: linear probe train {100 * res.train_top1:.1f}, test {100 * res.test_top1:.1f} '
              f'({res.num_train} / {res.num_test} samples)', flush=True)
    if len(table) > 1:
        for key in ('train_top1', 'test_top1'):
            print(f'{key}: ' + SeedStats.of({i: r[key] for i, r in enumerate(table.values())}).format())
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(runs=table, C=args.C, machine=machine_info()), f, indent=1)
        print(f'(wrote {args.out})')


if __name__ == '__main__':
    main()
