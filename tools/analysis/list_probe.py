"""Does the LLM recognizer read its action list? Top-1 on permuted lists and on the list plus distractor names.

    # experiment runs (tools/experiments/msr3d.py work dirs: config, options and checkpoint from result.json)
    python tools/analysis/list_probe.py --runs work_dirs/experiments/sugar_tqp_k8/seed0 .../seed1 .../seed2
    # or one config + checkpoint
    python tools/analysis/list_probe.py --config CFG --checkpoint CKPT [--cfg-options ...]

Prints, per run and as mean ± std over the runs, the top-1 on the dataset's list, on ``--permutations`` random
orders of it, and on it with ``--distractors`` names of other label maps interleaved (see
``sugar_mm/analysis/list_probe.py``); ``--out`` writes them as JSON.
"""
import argparse
import json
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)


def parse_args(argv=None):
    """The options and the :class:`RunSpec` of every run to probe."""
    from sugar_mm.experiments.runner import add_run_arguments, runs_from_args
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_run_arguments(p)
    p.add_argument('--permutations', type=int, default=5)
    p.add_argument('--distractors', type=int, default=100)
    p.add_argument('--seed', type=int, default=0, help='seed of the permutations and distractor draws')
    p.add_argument('--limit', type=int, help='probe only the first N test samples (a quick check)')
    p.add_argument('--out', help='write the results as JSON')
    args = p.parse_args(argv)
    return args, runs_from_args(p, args)


def main(argv=None):
    args, specs = parse_args(argv)
    import torch
    from mmengine.registry import init_default_scope

    from sugar_mm.analysis.list_probe import probe_lists, run_probe
    from sugar_mm.apis.inference import init_recognizer
    from sugar_mm.experiments.machine import machine_info
    from sugar_mm.experiments.stats import SeedStats
    from sugar_mm.registry import DATASETS
    torch.set_grad_enabled(False)
    table, lists = {}, None
    for spec in specs:
        name = spec.name
        model = init_recognizer(spec.config, spec.checkpoint, cfg_options=spec.options)
        init_default_scope(model.cfg.get('default_scope', 'sugar_mm'))
        dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
        if args.limit:
            dataset = [dataset[i] for i in range(min(args.limit, len(dataset)))]
        lists = lists or probe_lists(model.cls_head.class_names, args.permutations, args.distractors, args.seed)
        res = run_probe(model, dataset, lists, model.cfg.test_dataloader.get('batch_size', 32))
        table[name] = {k: dict(top1=r.top1, distractor_rate=r.distractor_rate) for k, r in res.items()}
        print(f'{name}: ' + ', '.join(f'{k} {100 * r.top1:.1f}' for k, r in res.items()), flush=True)
    keys = list(next(iter(table.values())))
    perm_keys = [k for k in keys if k.startswith('perm')]
    for row in table.values():
        if perm_keys:
            row['perm_mean'] = dict(top1=sum(row[k]['top1'] for k in perm_keys) / len(perm_keys))
    cols = keys + (['perm_mean'] if perm_keys else [])
    print('\n| run | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols))
    for name, row in table.items():
        print(f'| {name} | ' + ' | '.join(f'{100 * row[c]["top1"]:.1f}' for c in cols) + ' |')
    if len(table) > 1:
        stats = {c: SeedStats.of({i: row[c]['top1'] for i, row in enumerate(table.values())}) for c in cols}
        print('| mean ± std | ' + ' | '.join(stats[c].format(spread=False) for c in cols) + ' |')
        diffs = {i: row['perm_mean']['top1'] - row['canonical']['top1'] for i, row in enumerate(table.values())}
        dkey = [k for k in keys if k.startswith('distractors')]
        print(f'permuted - canonical: {SeedStats.of(diffs).format()} points')
        if dkey:
            dd = {i: row[dkey[0]]['top1'] - row['canonical']['top1'] for i, row in enumerate(table.values())}
            rate = SeedStats.of({i: row[dkey[0]]['distractor_rate'] for i, row in enumerate(table.values())})
            print(f'{dkey[0]} - canonical: {SeedStats.of(dd).format()} points; answers naming a distractor: '
                  f'{rate.format()} %')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(lists=lists, runs=table, machine=machine_info()), f, indent=1)
        print(f'(wrote {args.out})')


if __name__ == '__main__':
    main()
