"""Rewrite the generated blocks of README.md and docs/*.md from the shipped multi-seed result files.

    python tools/experiments/render_docs.py           # rewrite the blocks in place
    python tools/experiments/render_docs.py --check   # exit 1 if a block is not what the result files give

A block is the text between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``; everything outside the
blocks is hand-written. Tables come from ``results/msr3d/<table>.json`` (``tools/experiments/msr3d.py
--publish``), the list-probe tables from ``results/list_probe/msr3d/<row>.json``
(``tools/analysis/list_probe.py --out``), and every "A beats B" sentence from ``sugar_mm.experiments.compare``
(each same-seed difference of one sign, or a gap over 2 std; else "within noise").
"""
import argparse
import json
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from sugar_mm.experiments import SeedStats, markdown_table, metric_values  # noqa: E402
from sugar_mm.experiments.machine import machine_label  # noqa: E402
from sugar_mm.experiments.report import claim_sentence, render_blocks, title  # noqa: E402

RESULTS = osp.join(REPO, 'results/msr3d')
PROBES = osp.join(REPO, 'results/list_probe/msr3d')
LINEAR_PROBES = osp.join(REPO, 'results/linear_probe/msr3d')
S1 = ['acc/top1', 'acc/top5', 'acc/mean1']
LLM = ['llm/top1', 'llm/top5', 'llm/mean1', 'llm/text_top1', 'llm/parse_failure_rate']
ZSL = ['zsl/top1', 'zsl/top5']
GZSL = ['zsl/seen_top1', 'zsl/unseen_top1', 'zsl/harmonic', 'zsl/harmonic_best', 'zsl/ausuc']
ZSL_UNSEEN, ZSL_ALL = 'zsl:msr_action3d_15_5:unseen', 'zsl:msr_action3d_15_5:all'
#: the main job's stage-2 row (tools/main_job.py: a linear bridge), and the paper's bridge (TQP) on the same recipe
MAIN_S2, TQP_S2 = 'sugar_linear', 'sugar_tqp_k8'
#: stage-2 rows shown (the table skips rows that have not run)
S2_ROWS = ['sugar_linear', 'sugar_linear_pool20', 'sugar_linear_ce_encoder',
           'sugar_tqp_k8', 'sugar_tqp_k8_5clip', 'sugar_tqp_k8_fixed_list',
           'sugar_tqp_k8_align_classes', 'sugar_tqp_k8_pool20', 'sugar_tqp_k8_pool20_4e']


def load(table):
    path = osp.join(RESULTS, f'{table}.json')
    if not osp.isfile(path):
        return dict(table=table, rows={})
    with open(path) as f:
        return json.load(f)


def seeds_of(records, row):
    for rec in records.values():
        if row in rec['rows'] and rec['rows'][row]['seeds']:
            return rec['rows'][row]['seeds']
    return {}


def values(records, row, metric, test='default'):
    return metric_values(seeds_of(records, row), metric, test)


def stat(records, row, metric, test='default'):
    v = values(records, row, metric, test)
    return SeedStats.of(v).format() if v else 'not run'


def machines_line(records, rows):
    seen = []
    for row in rows:
        for res in seeds_of(records, row).values():
            m = res.get('machine', {})
            text = f'{machine_label(m)}, {str(m.get("date", "?"))[:10]}'
            if text not in seen:
                seen.append(text)
    return '; '.join(seen) or 'no runs yet'


def claim(records, what, a, b):
    """:func:`claim_sentence` of ``a`` and ``b``, each ``(row, metric[, test])``."""
    (ra, ma, *ta), (rb, mb, *tb) = a, b
    return claim_sentence(what, values(records, ra, ma, *ta), values(records, rb, mb, *tb), (ra, rb), title(ma))


def probe_block(row):
    path = osp.join(PROBES, f'{row}.json')
    if not osp.isfile(path):
        return f'(no list probe of `{row}` yet)'
    with open(path) as f:
        probe = json.load(f)
    runs = probe['runs']
    cols = list(next(iter(runs.values())))
    lines = ['| run | ' + ' | '.join(cols) + ' |', '|---|' + '---|' * len(cols)]
    for name, r in runs.items():
        lines.append(f'| {name} | ' + ' | '.join(f'{100 * r[c]["top1"]:.1f}' for c in cols) + ' |')
    stats = {c: SeedStats.of({i: r[c]['top1'] for i, r in enumerate(runs.values())}) for c in cols}
    lines.append('| mean ± std | ' + ' | '.join(stats[c].format(spread=False) for c in cols) + ' |')
    dkey = next((c for c in cols if c.startswith('distractors')), None)
    d_perm = {i: r['perm_mean']['top1'] - r['canonical']['top1'] for i, r in enumerate(runs.values())}
    text = [f'Permuted lists (mean of the permutations) minus the canonical list: '
            f'{SeedStats.of(d_perm).format()} points']
    if dkey:
        d_dis = {i: r[dkey]['top1'] - r['canonical']['top1'] for i, r in enumerate(runs.values())}
        rate = SeedStats.of({i: r[dkey]['distractor_rate'] for i, r in enumerate(runs.values())})
        text.append(f'with {dkey[len("distractors"):]} distractor names: {SeedStats.of(d_dis).format()} points, '
                    f'answers naming a distractor {rate.format()} %')
    m = probe.get('machine', {})
    text.append(f'({machine_label(m)}, {str(m.get("date", "?"))[:10]}; '
                f'`python tools/analysis/list_probe.py --runs work_dirs/experiments/{row}/seed{{0,1,2}}`)')
    return '\n'.join(lines) + '\n\n' + '; '.join(text) + '.'


def probe_values(row, key):
    """seed -> top-1 of one probe list (``perm_mean``: the mean over the permutations) of a row's probe file."""
    path = osp.join(PROBES, f'{row}.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        runs = json.load(f)['runs']
    return {int(name.rsplit(' seed ', 1)[1]): r[key]['top1'] for name, r in runs.items() if key in r}


def linear_probe_values(row):
    """seed -> test top-1 of the linear probe on a stage-1 row's frozen features (``tools/analysis/linear_probe.py``)."""
    path = osp.join(LINEAR_PROBES, f'{row}.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        runs = json.load(f)['runs']
    return {int(name.rsplit(' seed ', 1)[1]): r['test_top1'] for name, r in runs.items()}


def blocks():
    rec = {t: load(t) for t in ('baselines', 'stage1', 'stage2', 'bridge', 'zsl')}
    s1_rows = ['stage1_none', 'stage1_both', 'stage1_both_tds', 'stage1_both_ce', 'stage1_both_centred',
               'stage1_both_mirror', 'stage1_none_1clip', 'stage1_both_1clip']
    s2_rows = S2_ROWS
    zsl_rows = ['zsl_linear_conse', 'zsl_stage1', 'zsl_sugar_linear', 'zsl_sugar', 'zsl_sugar_fixed_list']
    out = {}
    out['machines'] = machines_line(rec, s1_rows + s2_rows + zsl_rows + ['stgcn', 'ctrgcn'])
    out['baselines'] = (markdown_table(rec['baselines'], S1) if rec['baselines']['rows'] else
                        '(not run yet: `python tools/experiments/msr3d.py --table baselines`)')
    out['stage1'] = markdown_table(rec['stage1'], S1, rows=s1_rows)
    out['stage2'] = markdown_table(rec['stage2'], LLM + ['llm/align_top1'], rows=s2_rows)
    out['zsl'] = ('ZSL (the 5 unseen classes compete; `--classes ' + ZSL_UNSEEN + '`):\n\n' +
                  markdown_table(rec['zsl'], ZSL + ['zsl_text/top1', 'llm/parse_failure_rate'], ZSL_UNSEEN,
                                 rows=zsl_rows) +
                  '\n\nGZSL (all 20 classes compete; `--classes ' + ZSL_ALL + '`):\n\n' +
                  markdown_table(rec['zsl'], GZSL + ['llm/parse_failure_rate'], ZSL_ALL, rows=zsl_rows))
    out['claims'] = '\n'.join([
        claim(rec, 'Knowledge (MIL-NCE) vs cross-entropy, same encoder, 5 test clips', ('stage1_both', 'acc/top1'),
              ('stage1_none', 'acc/top1')),
        claim(rec, 'The LLM recognizer (the main job: linear bridge) vs its own stage-1 classifier, both 1 test clip',
              (MAIN_S2, 'llm/top1'), ('stage1_both_1clip', 'acc/top1')),
        claim(rec, 'The LLM recognizer (the main job) vs the cross-entropy encoder\'s linear classifier, both 1 test clip',
              (MAIN_S2, 'llm/top1'), ('stage1_none_1clip', 'acc/top1')),
        claim(rec, 'The paper\'s Table-3 question on our chain: the main job\'s stage 2 on the knowledge encoder vs '
              'the same stage 2 on the cross-entropy encoder', (MAIN_S2, 'llm/top1'),
              ('sugar_linear_ce_encoder', 'llm/top1')),
        claim(rec, 'The LLM recognizer on the cross-entropy encoder vs that encoder\'s own linear classifier, both '
              '1 test clip', ('sugar_linear_ce_encoder', 'llm/top1'), ('stage1_none_1clip', 'acc/top1')),
        claim(rec, 'The LLM recognizer with the paper\'s TQP bridge vs its own stage-1 classifier, both 1 test clip',
              (TQP_S2, 'llm/top1'), ('stage1_both_1clip', 'acc/top1')),
        claim(rec, 'Stage 2 with a linear bridge (the main job) vs the TQP, same recipe', (MAIN_S2, 'llm/top1'),
              (TQP_S2, 'llm/top1')),
        claim(rec, 'The main job\'s recipe with at most 20 foreign names a training list vs 100',
              ('sugar_linear_pool20', 'llm/top1'), (MAIN_S2, 'llm/top1')),
        claim(rec, 'The LLM recognizer vs the alignment classifier of its own bridge (the main job, end of stage 2)',
              (MAIN_S2, 'llm/top1'), (MAIN_S2, 'llm/align_top1')),
        claim(rec, 'List-conditioned training vs one fixed list (X-Sub, TQP)', ('sugar_tqp_k8', 'llm/top1'),
              ('sugar_tqp_k8_fixed_list', 'llm/top1')),
        claim(rec, 'The main job (linear bridge, list-conditioned) vs the recipe before list-conditioning (TQP, one '
              'fixed list)', (MAIN_S2, 'llm/top1'), ('sugar_tqp_k8_fixed_list', 'llm/top1')),
        *[claim(rec, f'`{row}` vs `{base}`', (row, 'llm/top1'), (base, 'llm/top1'))
          for row, base in (('sugar_tqp_k8_align_classes', TQP_S2),
                            ('sugar_tqp_k8_pool20', TQP_S2), ('sugar_tqp_k8_pool20_4e', TQP_S2))
          if values(rec, row, 'llm/top1')],
        claim(rec, 'Cross-entropy + linear vs the knowledge encoder, both 1 test clip', ('stage1_none_1clip', 'acc/top1'),
              ('stage1_both_1clip', 'acc/top1')),
        *[claim(rec, f'Stage-1 candidate `{row}` vs cross-entropy on the main job\'s encoder (`stage1_none`), 5 test '
                'clips', (row, 'acc/top1'), ('stage1_none', 'acc/top1'))
          for row in STAGE1_CANDIDATES if values(rec, row, 'acc/top1')],
        *[claim(rec, f'Stage-1 candidate `{row}` vs the main job\'s stage 1 (`stage1_both`), 5 test clips',
                (row, 'acc/top1'), ('stage1_both', 'acc/top1'))
          for row in STAGE1_CANDIDATES if values(rec, row, 'acc/top1')],
        *[claim(rec, what, a, b) for what, a, b in (
            ('The LLM recognizer (the main job) vs mmaction\'s CTR-GCN + GCNHead trained through our tools, both 1 '
             'test clip', (MAIN_S2, 'llm/top1'), ('ctrgcn_1clip', 'acc/top1')),
            ('The main job\'s stage 1 vs mmaction\'s CTR-GCN + GCNHead, 5 test clips', ('stage1_both', 'acc/top1'),
             ('ctrgcn', 'acc/top1')),
            ('Cross-entropy on the main job\'s encoder (base 32, no temporal down-sampling) vs mmaction\'s CTR-GCN '
             '(base 64, down-sampled), 5 test clips', ('stage1_none', 'acc/top1'), ('ctrgcn', 'acc/top1')))
          if values(rec, b[0], b[1])],
        claim(rec, 'Zero-shot (5 unseen), SUGAR stage 1 vs the linear ConSE baseline',
              ('zsl_stage1', 'zsl/top1', ZSL_UNSEEN), ('zsl_linear_conse', 'zsl/top1', ZSL_UNSEEN)),
        claim(rec, 'GZSL AUSUC, SUGAR stage 1 vs the linear ConSE baseline', ('zsl_stage1', 'zsl/ausuc', ZSL_ALL),
              ('zsl_linear_conse', 'zsl/ausuc', ZSL_ALL)),
        claim(rec, 'Zero-shot (5 unseen), SUGAR (TQP bridge) vs the linear ConSE baseline',
              ('zsl_sugar', 'zsl/top1', ZSL_UNSEEN),
              ('zsl_linear_conse', 'zsl/top1', ZSL_UNSEEN)),
        claim(rec, 'GZSL harmonic mean, SUGAR (TQP bridge) vs the linear ConSE baseline',
              ('zsl_sugar', 'zsl/harmonic', ZSL_ALL),
              ('zsl_linear_conse', 'zsl/harmonic', ZSL_ALL)),
        claim(rec, 'GZSL harmonic mean at the best gamma (oracle), SUGAR (TQP bridge) vs the linear ConSE baseline',
              ('zsl_sugar', 'zsl/harmonic_best', ZSL_ALL), ('zsl_linear_conse', 'zsl/harmonic_best', ZSL_ALL)),
        claim(rec, 'GZSL AUSUC, SUGAR (TQP bridge) vs the linear ConSE baseline', ('zsl_sugar', 'zsl/ausuc', ZSL_ALL),
              ('zsl_linear_conse', 'zsl/ausuc', ZSL_ALL)),
        claim(rec, 'Zero-shot (5 unseen), SUGAR (TQP bridge) vs its own stage 1', ('zsl_sugar', 'zsl/top1', ZSL_UNSEEN),
              ('zsl_stage1', 'zsl/top1', ZSL_UNSEEN)),
        claim(rec, 'Zero-shot (5 unseen), SUGAR with the linear bridge (the main job\'s) vs the linear ConSE baseline',
              ('zsl_sugar_linear', 'zsl/top1', ZSL_UNSEEN), ('zsl_linear_conse', 'zsl/top1', ZSL_UNSEEN)),
        claim(rec, 'GZSL harmonic mean at the best gamma (oracle), SUGAR with the linear bridge vs ConSE',
              ('zsl_sugar_linear', 'zsl/harmonic_best', ZSL_ALL), ('zsl_linear_conse', 'zsl/harmonic_best', ZSL_ALL)),
        claim(rec, 'GZSL AUSUC, SUGAR with the linear bridge vs ConSE', ('zsl_sugar_linear', 'zsl/ausuc', ZSL_ALL),
              ('zsl_linear_conse', 'zsl/ausuc', ZSL_ALL)),
        claim(rec, 'Zero-shot (5 unseen), SUGAR with the linear bridge vs with the TQP',
              ('zsl_sugar_linear', 'zsl/top1', ZSL_UNSEEN), ('zsl_sugar', 'zsl/top1', ZSL_UNSEEN)),
    ])
    out['probe_claims'] = '\n'.join(
        claim_sentence(f'{what}: list-conditioned vs one fixed list', probe_values('sugar_tqp_k8', key),
                       probe_values('sugar_tqp_k8_fixed_list', key), ('sugar_tqp_k8', 'sugar_tqp_k8_fixed_list'))
        for what, key in (('The canonical list', 'canonical'), ('5 permuted lists (mean)', 'perm_mean'),
                          ('The list + 100 distractor names', 'distractors100'),
                          ('The bridge alone (alignment classifier)', 'bridge_align')))
    lp_both, lp_none = linear_probe_values('stage1_both'), linear_probe_values('stage1_none')
    out['linear_probe'] = '\n'.join([
        '| frozen features of | seeds | linear probe, test top-1 (5 clips) |', '|---|---|---|'] + [
        f'| `{row}` | {" ".join(str(k) for k in sorted(v))} | {SeedStats.of(v).format()} |'
        for row, v in (('stage1_both', lp_both), ('stage1_none', lp_none)) if v] + ['', claim_sentence(
            'A linear probe on the knowledge features vs their text-similarity readout', lp_both,
            values(rec, 'stage1_both', 'acc/top1'), ('linear probe', 'stage1_both')), claim_sentence(
            'Linear probes: knowledge features vs cross-entropy features', lp_both, lp_none,
            ('stage1_both', 'stage1_none'))])
    out['probe'] = ('The main job (linear bridge, `sugar_linear`):\n\n' + probe_block(MAIN_S2) +
                    '\n\nList-conditioned, TQP bridge (`sugar_tqp_k8`):\n\n' + probe_block('sugar_tqp_k8') +
                    '\n\nOne fixed list (before):\n\n' + probe_block('sugar_tqp_k8_fixed_list'))
    out['readme'] = readme_table(rec)
    out['bridge'] = bridge_block(rec)
    return out


#: stage-1 rows that try to bring the knowledge loss up to (or over) cross-entropy (the recipe issue)
STAGE1_CANDIDATES = ('stage1_both_tds', 'stage1_both_ce', 'stage1_both_centred', 'stage1_both_mirror')
BRIDGE_VARIANTS = ('bridge_only_fixed_list', 'bridge_only_30e', 'bridge_only_drop', 'bridge_only_t005',
                   'bridge_only_align_union', 'bridge_only_linear')


def bridge_block(rec):
    """The bridge screen: its table, each variant against the default warm-up, and the bridge against stage 1."""
    if not any(e['seeds'] for e in rec['bridge']['rows'].values()):
        return '(the bridge screen has not run yet: `python tools/experiments/msr3d.py --table bridge`)'
    align = ('bridge_only', 'llm/align_top1')
    lines = [markdown_table(rec['bridge'], ['llm/align_top1']), '',
             claim(rec, 'The bridge alone (10 warm-up epochs) vs the stage-1 classifier of its encoder, both 1 test clip',
                   align, ('stage1_both_1clip', 'acc/top1')),
             claim(rec, 'The linear bridge alone vs the stage-1 classifier of its encoder, both 1 test clip',
                   ('bridge_only_linear', 'llm/align_top1'), ('stage1_both_1clip', 'acc/top1')),
             claim_sentence('The TQP at the end of stage 2 (`sugar_tqp_k8`, after its 2 LLM epochs; list probe) vs '
                            'its warm-up alone', probe_values('sugar_tqp_k8', 'bridge_align'),
                            values(rec, *align), ('sugar_tqp_k8', 'bridge_only'), 'alignment top-1')]
    lines += [claim(rec, f'`{row}` vs `bridge_only`', (row, 'llm/align_top1'), align) for row in BRIDGE_VARIANTS
              if values(rec, row, 'llm/align_top1')]
    return '\n'.join(lines)


def readme_table(rec):
    rows = [('SUGAR stage 1: CTR-GCN (base 32) + MIL-NCE on motion + visual knowledge', 'stage1_both', 'acc', '5'),
            ('the same encoder, cross-entropy + linear (no knowledge)', 'stage1_none', 'acc', '5'),
            ('mmaction\'s CTR-GCN (base 64, temporal down-sampling) + GCNHead, through our tools', 'ctrgcn', 'acc',
             '5'),
            ('... the same tested on 1 clip', 'ctrgcn_1clip', 'acc', '1'),
            ('SUGAR stage 2 (the main job): + linear bridge + SmolLM2-135M + LoRA, list-conditioned', MAIN_S2,
             'llm', '1'),
            ('... the same with at most 20 foreign names a training list (20% faster stage 2)', 'sugar_linear_pool20',
             'llm', '1'),
            ('... the same stage 2 on the cross-entropy encoder (no knowledge)', 'sugar_linear_ce_encoder', 'llm', '1'),
            ('SUGAR stage 2 with the paper\'s bridge (TQP k=8) instead, same recipe', TQP_S2, 'llm', '1'),
            ('... the same tested on 5 clips', 'sugar_tqp_k8_5clip', 'llm', '5'),
            ('SUGAR stage 2 trained with one fixed list, answers generated freely (before list-conditioning)',
             'sugar_tqp_k8_fixed_list', 'llm', '1')]
    lines = ['| model | seeds | top-1 | top-5 | test clips |', '|---|---|---|---|---|']
    for label, row, prefix, clips in rows:
        seeds = seeds_of(rec, row)
        if not seeds:
            continue
        lines.append(f'| {label} | {" ".join(sorted(seeds, key=int))} | {stat(rec, row, prefix + "/top1")} | '
                     f'{stat(rec, row, prefix + "/top5").split(" (")[0]} | {clips} |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only check that the blocks are up to date')
    args = parser.parse_args(argv)
    generated = blocks()
    stale = []
    for name in ('README.md', 'docs/results.md', 'docs/zero_shot.md'):
        path = osp.join(REPO, name)
        with open(path) as f:
            old = f.read()
        new = render_blocks(old, generated)
        if new != old:
            stale.append(name)
            if not args.check:
                with open(path, 'w') as f:
                    f.write(new)
    if args.check and stale:
        raise SystemExit(f'generated blocks out of date in {stale}: run python tools/experiments/render_docs.py')
    print(('stale: ' if args.check else 'rewrote: ') + (', '.join(stale) or 'nothing'))


if __name__ == '__main__':
    main()
