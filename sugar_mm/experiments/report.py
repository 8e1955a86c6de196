"""Multi-seed result files -> markdown tables (mmaction2 model-zoo style) and a ``metafile.yml``."""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence

from .machine import machine_label
from .stats import SeedStats, compare, mean_of, metric_values

#: Column title of a metric key (the ``prefix/name`` keys that the metrics log).
TITLES = {'top1': 'top-1', 'top5': 'top-5', 'mean1': 'mean class', 'text_top1': 'top-1 (text)',
          'parse_failure_rate': 'parse failures', 'harmonic': 'GZSL H', 'seen_top1': 'GZSL seen',
          'unseen_top1': 'GZSL unseen', 'ausuc': 'AUSUC', 'harmonic_best': 'GZSL H, best gamma (oracle)',
          'align_top1': 'top-1 of the bridge alone'}


def title(metric: str) -> str:
    prefix, _, name = metric.rpartition('/')
    text = TITLES.get(name, metric)
    return f'{text} (text)' if prefix.endswith('_text') and '(text)' not in text else text


def machines(seeds: Dict[str, dict]) -> List[str]:
    """The distinct machines (labels) and dates of a row's seeds."""
    seen = []
    for res in seeds.values():
        m = res.get('machine', {})
        text = f'{machine_label(m)}, {str(m.get("date", "?"))[:10]}'
        if text not in seen:
            seen.append(text)
    return seen


def markdown_table(record: dict, metrics: Sequence[str], test: str = 'default',
                   rows: Optional[Sequence[str]] = None) -> str:
    """One line per row: label | config | seeds | each metric as mean ± std (n; min-max) | train | params."""
    head = ['model', 'config', 'seeds'] + [title(m) for m in metrics] + ['train (min)', 'params (ckpt)']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for name in rows or list(record['rows']):
        entry = record['rows'].get(name)
        if entry is None or not entry['seeds']:
            continue
        seeds, row = entry['seeds'], entry['row']
        cells = []
        for m in metrics:
            values = metric_values(seeds, m, test)
            cells.append(SeedStats.of(values).format() if values else '-')
        train = mean_of(seeds, 'train_minutes')
        params = mean_of(seeds, 'params')
        lines.append('| ' + ' | '.join(
            [row.get('label') or name, f'`{row["config"]}`', ' '.join(sorted(seeds, key=int))] + cells +
            [f'{train:.1f}' if train is not None else '-',
             f'{params / 1e6:.2f} M' if params else '-']) + ' |')
    return '\n'.join(lines)


def per_seed_lines(record: dict, metric: str, test: str = 'default') -> List[str]:
    """``row: seed 0 72.5, seed 1 ...`` for each row (the raw values behind a table)."""
    out = []
    for name, entry in record['rows'].items():
        values = metric_values(entry['seeds'], metric, test)
        if values:
            out.append(f'{name}: ' + ', '.join(f'seed {s} {100 * v:.1f}' for s, v in sorted(values.items())))
    return out


def metafile(records: Sequence[dict], collection: str = 'SUGAR', readme: str = 'docs/results.md',
             paper: str = 'https://arxiv.org/abs/2511.10091') -> dict:
    """An mmaction2-style metafile (Collections + Models) from result files; write it with ``yaml.safe_dump``."""
    models = []
    for record in records:
        for name, entry in record['rows'].items():
            seeds, row = entry['seeds'], entry['row']
            if not seeds:
                continue
            metrics = {}
            for test in sorted({t for r in seeds.values() for t in r.get('tests', {})}):
                for m in row['metrics']:
                    values = metric_values(seeds, m, test)
                    if values:
                        s = SeedStats.of(values)
                        key = m if test == 'default' else f'{m} [{test}]'
                        metrics[key] = dict(mean=round(100 * s.mean, 2), std=round(100 * s.std, 2),
                                            seeds={k: round(100 * v, 2) for k, v in sorted(values.items())})
            models.append({
                'Name': name, 'Config': row['config'], 'In Collection': collection,
                'Metadata': {'Seeds': sorted(int(s) for s in seeds), 'Training Data': 'MSR Action3D X-Sub',
                             'Training Resources': machines(seeds),
                             'Parameters': int(mean_of(seeds, 'params') or 0),
                             'Training Time (min)': round(mean_of(seeds, 'train_minutes') or 0, 2)},
                'Results': [{'Dataset': 'MSR Action3D', 'Task': 'Skeleton-based Action Recognition',
                             'Metrics': metrics}],
            })
    return {'Collections': [{'Name': collection, 'README': readme, 'Paper': {'URL': paper,
                                                                            'Title': 'SUGAR (Ye et al., AAAI 2026)'}}],
            'Models': models}


def claim_sentence(what: str, a: Dict[int, float], b: Dict[int, float], names: Sequence[str] = ('A', 'B'),
                   metric: str = 'top-1') -> str:
    """A markdown bullet comparing two settings over their common seeds with :func:`compare`'s rule.

    Args:
        what (str): What is compared.
        a, b (dict): seed -> value (fractions) of the two settings.
        names (Sequence[str]): How the two are named (e.g. row names).
        metric (str): The metric's title.
    """
    common = sorted(set(a) & set(b))
    if len(common) < 3:
        return f'* **{what}**: not compared ({len(common)} common seed(s); 3 needed).'
    diffs = ', '.join(f'{100 * (a[s] - b[s]):+.1f}' for s in common)
    sa, sb = (SeedStats.of({s: v[s] for s in common}).format(spread=False) for v in (a, b))
    return (f'* **{what}**: {sa} vs {sb} (`{names[0]}` vs `{names[1]}`, {metric}; same-seed differences '
            f'{diffs} points): **{compare(a, b)}**.')


def render_blocks(text: str, generated: Mapping[str, str]) -> str:
    """Replace every ``<!-- generated:NAME -->...<!-- /generated:NAME -->`` block of ``text`` by
    ``generated[NAME]``; an unknown NAME is an error."""
    def sub(m):
        name = m.group(1)
        if name not in generated:
            raise KeyError(f'unknown generated block {name!r} (blocks: {sorted(generated)})')
        return f'<!-- generated:{name} -->\n{generated[name]}\n<!-- /generated:{name} -->'
    return re.sub(r'<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->', sub, text, flags=re.S)
