"""Train and test experiment rows once per seed with the ordinary tools, and keep every per-seed result.

A row is one ``tools/train.py`` + ``tools/test.py`` run of a config; it runs once per seed in
``<root>/<row>/seed<k>/`` (logs, checkpoints, ``result.json``). A finished (row, seed) is reused. A stage-2 row
names its stage-1 row (``stage1``): its options may say ``{stage1_dir}``, the stage-1 row's work dir of the same
seed, which is trained first when missing. Results record the machine (:func:`machine_info`) and the commit.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from .machine import machine_info


@dataclass
class Row:
    """One experiment: train ``config`` with ``options``, then test it once per entry of ``test_classes``.

    Attributes:
        name (str): Row id (its work-dir name).
        config (str): Config path, relative to the repository.
        options (list[str]): ``--cfg-options`` of training (may contain ``{stage1_dir}``).
        test_options (list[str], optional): ``--cfg-options`` of testing (same placeholder). None (default): the
            training ``options``, so that the model tested is the model trained (an option that changes the
            architecture, e.g. the temporal down-sampling, must reach the test too).
        stage1 (str, optional): The row whose encoder this row reads.
        metrics (list[str]): The logged test metrics that its table shows.
        test_classes (list[str]): ``--classes`` lists to test with (empty: the config's own list once).
        label (str): What the row is, for tables.
        checkpoint_of (str, optional): Train nothing: test the checkpoint of this row (same seed) with this row's
            config and ``test_options`` (e.g. the same model with another number of test clips).
    """

    name: str
    config: str
    options: List[str] = field(default_factory=list)
    test_options: Optional[List[str]] = None
    stage1: Optional[str] = None
    metrics: List[str] = field(default_factory=lambda: ['acc/top1', 'acc/top5', 'acc/mean1'])
    test_classes: List[str] = field(default_factory=list)
    label: str = ''
    checkpoint_of: Optional[str] = None


@dataclass
class RunSpec:
    """A finished (row, seed) run, as an analysis tool reopens it.

    Attributes:
        name (str): ``'<row> seed <k>'``.
        config (str): Its config.
        checkpoint (str): The checkpoint its tests used.
        options (dict): Its ``--cfg-options`` as a dict (values parsed as Python literals where they are ones).
    """

    name: str
    config: str
    checkpoint: str
    options: Dict[str, object]


def parse_options(options: Sequence[str]) -> Dict[str, object]:
    """``['a.b=1', 'c=None', 'd=x']`` -> ``{'a.b': 1, 'c': None, 'd': 'x'}`` (as ``--cfg-options`` reads them)."""
    import ast
    out: Dict[str, object] = {}
    for opt in options:
        key, sep, text = opt.partition('=')
        if not sep:
            raise ValueError(f'option {opt!r} is not key=value')
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def load_run(work_dir: str) -> RunSpec:
    """The :class:`RunSpec` of a runner work dir (its ``result.json``; the checkpoint it records, else the work
    dir's ``last_checkpoint``)."""
    result_file = osp.join(work_dir, 'result.json')
    if not osp.isfile(result_file):
        raise FileNotFoundError(f'{work_dir}: no result.json (not a finished tools/experiments run)')
    with open(result_file) as f:
        res = json.load(f)
    ckpt = res.get('checkpoint')
    if ckpt is None:
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
    return RunSpec(f'{res["name"]} seed {res["seed"]}', res['config'], ckpt, parse_options(res.get('options', [])))


def add_run_arguments(parser) -> None:
    """The analysis tools' way to name what they open: ``--runs DIR...`` (runner work dirs) or ``--config`` with
    ``--checkpoint`` (and ``--cfg-options``)."""
    parser.add_argument('--runs', nargs='+', default=[], help='experiment work dirs holding result.json')
    parser.add_argument('--config')
    parser.add_argument('--checkpoint')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='key=value overrides (with --config)')


def runs_from_args(parser, args) -> List[RunSpec]:
    """The :class:`RunSpec` of every run named by :func:`add_run_arguments`' options (a usage error otherwise)."""
    if bool(args.config) != bool(args.checkpoint) or (not args.runs and not args.config):
        parser.error('give --runs, or --config with --checkpoint')
    specs = [load_run(wd) for wd in args.runs]
    if args.config:
        specs.append(RunSpec(args.checkpoint, args.config, args.checkpoint, parse_options(args.cfg_options)))
    return specs


def git_commit(repo: str) -> Optional[str]:
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run_logged(cmd: Sequence[str], log_file: str, cwd: str) -> float:
    """Run a command with its output in ``log_file``; seconds taken. A failure shows the log's tail."""
    print('$ ' + ' '.join(cmd), flush=True)
    start = time.time()
    with open(log_file, 'w') as log:
        proc = subprocess.run(list(cmd), cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode:
        with open(log_file) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'failed ({proc.returncode}); log {log_file}:\n{tail}')
    return time.time() - start


def parse_test_metrics(log_file: str) -> Dict[str, float]:
    """The metrics of the last ``Epoch(test)`` line of a ``tools/test.py`` log."""
    with open(log_file) as f:
        lines = [line for line in f if 'Epoch(test)' in line]
    if not lines:
        raise SystemExit(f'no Epoch(test) line in {log_file}')
    return {k: float(v) for k, v in re.findall(r'(\S+): (-?[0-9.]+(?:e-?\d+)?)', lines[-1])
            if k not in ('data_time', 'time')}


def checkpoint_params(path: str) -> int:
    """Number of values in a checkpoint's ``state_dict`` (what training produced; no frozen LLM weights)."""
    from sugar_mm.compat import load_checkpoint_file, trusted_checkpoint_dir
    with trusted_checkpoint_dir(osp.dirname(path)):  # this runner's own product
        ckpt = load_checkpoint_file(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    return int(sum(v.numel() for v in state.values() if hasattr(v, 'numel') and v.is_floating_point()))


class SeedRunner:
    """Runs rows per seed under ``root`` (relative to ``repo``) with ``python`` = this interpreter.

    Args:
        repo (str): Repository root (commands run there).
        root (str): Work-dir root of the experiments, e.g. ``'work_dirs/experiments'``.
        rows (Callable[[str], Row]): Looks up a row by name (for stage-1 dependencies).
    """

    def __init__(self, repo: str, root: str, rows: Callable[[str], Row]) -> None:
        self.repo, self.root, self.rows = repo, root, rows

    def work_dir(self, name: str, seed: int) -> str:
        return f'{self.root}/{name}/seed{seed}'

    def _fill(self, options: Sequence[str], row: Row, seed: int) -> List[str]:
        stage1_dir = self.work_dir(row.stage1, seed) if row.stage1 else ''
        return [o.replace('{stage1_dir}', stage1_dir) for o in options]

    def run(self, row: Row, seed: int, force: bool = False, retest: bool = False) -> dict:
        """Train (unless finished) and test ``row`` with ``seed``; returns its result dict."""
        wd = self.work_dir(row.name, seed)
        result_file = osp.join(self.repo, wd, 'result.json')
        previous = None
        if osp.isfile(result_file):
            with open(result_file) as f:
                previous = json.load(f)
        if previous is not None and not force and not retest:
            return previous
        if row.stage1 and not osp.isfile(osp.join(self.repo, self.work_dir(row.stage1, seed), 'encoder.pth')):
            self.run(self.rows(row.stage1), seed)
        os.makedirs(osp.join(self.repo, wd), exist_ok=True)
        py = sys.executable
        options = self._fill(row.options, row, seed)
        trained_in = wd
        if row.checkpoint_of:
            source = self.run(self.rows(row.checkpoint_of), seed)
            trained_in, train_minutes = self.work_dir(row.checkpoint_of, seed), source['train_minutes']
        elif retest and not force and previous is not None:
            train_minutes = previous['train_minutes']
        else:
            cmd = [py, 'tools/train.py', row.config, '--work-dir', wd, '--seed', str(seed), '--no-validate']
            t_train = run_logged(cmd + (['--cfg-options'] + options if options else []),
                                 osp.join(self.repo, wd, 'train.log'), self.repo)
            train_minutes = round(t_train / 60, 2)
        with open(osp.join(self.repo, trained_in, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        result = dict(name=row.name, config=row.config, options=options, seed=seed, checkpoint=ckpt,
                      train_minutes=train_minutes,
                      params=checkpoint_params(osp.join(self.repo, ckpt)), tests={}, machine=machine_info(),
                      commit=git_commit(self.repo))
        test_options = self._fill(row.options if row.test_options is None else row.test_options, row, seed)
        for classes in row.test_classes or [None]:
            key = classes or 'default'
            log = osp.join(self.repo, wd, f'test_{key.replace(":", "_")}.log')
            cmd = [py, 'tools/test.py', row.config, ckpt, '--work-dir', wd] + (['--classes', classes] if classes
                                                                                 else [])
            t_test = run_logged(cmd + (['--cfg-options'] + test_options if test_options else []), log, self.repo)
            metrics = parse_test_metrics(log)
            metrics['test_minutes'] = round(t_test / 60, 2)
            result['tests'][key] = metrics
        with open(result_file, 'w') as f:
            json.dump(result, f, indent=1)
        return result

    def collect(self, row: Row, seeds: Optional[Sequence[int]] = None) -> Dict[str, dict]:
        """seed (str) -> result of every finished seed of ``row`` (only ``seeds`` if given)."""
        base = osp.join(self.repo, self.root, row.name)
        out = {}
        if not osp.isdir(base):
            return out
        for d in sorted(os.listdir(base)):
            m = re.fullmatch(r'seed(\d+)', d)
            if m and (seeds is None or int(m.group(1)) in seeds) and osp.isfile(osp.join(base, d, 'result.json')):
                with open(osp.join(base, d, 'result.json')) as f:
                    out[m.group(1)] = json.load(f)
        return out


def table_record(table: str, rows: Sequence[Row], seeds_of: Dict[str, Dict[str, dict]]) -> dict:
    """The result file of a table: every row's definition and per-seed results."""
    return dict(table=table, rows={r.name: dict(row=asdict(r), seeds=seeds_of.get(r.name, {})) for r in rows})


def merge_records(old: dict, new: dict) -> dict:
    """``new``'s rows and seeds over ``old``'s (a published file keeps seeds that this run did not redo)."""
    merged = dict(old, table=new['table'], rows=dict(old.get('rows', {})))
    for name, entry in new['rows'].items():
        seeds = dict(merged['rows'].get(name, {}).get('seeds', {}))
        seeds.update(entry['seeds'])
        merged['rows'][name] = dict(row=entry['row'], seeds=seeds)
    return merged
