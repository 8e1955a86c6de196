"""Helpers shared by the ``tools/knowledge/gen_*.py`` command lines: common options and the raw-answer log."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import List, Optional

from .report import GenerationReport


def add_generation_args(parser) -> None:
    """The options shared by ``tools/knowledge/gen_*.py``."""
    parser.add_argument('--retries', type=int, default=3,
                        help='sampled retries (a new seed each) after the greedy answer (default: 3)')
    parser.add_argument('--max-new-tokens', type=int, default=160, help='answer length limit (default: 160)')
    parser.add_argument('--limit', type=int, default=None, help='only the first N classes of the list')
    parser.add_argument('--seed', type=int, default=0, help='base seed of the sampled retries (default: 0)')
    parser.add_argument('--redo-flagged', action='store_true', help='regenerate classes flagged by an earlier run')
    parser.add_argument('--device', default='auto', help='cpu, cuda, cuda:1, ... (default: cuda if available)')
    parser.add_argument('--dtype', default=None, help='weight dtype, e.g. bfloat16 (default: as saved)')
    parser.add_argument('--trust-remote-code', action='store_true',
                        help="run the model folder's own Python code (off by default)")
    parser.add_argument('--repetition-penalty', type=float, default=1.0,
                        help='generation repetition penalty (default: 1.0 = off; ~1.2 curbs loops of small models)')
    parser.add_argument('--raw-log', default=None, help='append raw answers and parsed results here (JSON lines)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')


def read_raw_log_line(name: str, key: str, raw: List[str], result) -> str:
    """One JSON line for a ``--raw-log`` file."""
    return json.dumps(dict(field=key, name=name, raw=raw, result=result), ensure_ascii=False)


def append_raw_log(path: Optional[str], report: GenerationReport) -> None:
    """Append a run's raw answers and parsed results to ``path`` (JSON lines), if given."""
    if not path:
        return
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'a', encoding='utf-8') as f:
        for name, raw in report.raw.items():
            f.write(read_raw_log_line(name, report.field, raw, report.results.get(name)) + '\n')
