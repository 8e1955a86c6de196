"""Run the real command-line tools in subprocesses, with small config overrides written as config files."""
import os
import socket
import os.path as osp
import subprocess
import sys
import ast
import textwrap

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: A tiny CTR-GCN (Kinect-v1 layout): 16 output channels.
TINY_CTRGCN = dict(type='CTRGCN', graph_cfg=dict(layout='kinect_v1', mode='spatial'), num_person=1, base_channels=8,
                   num_stages=2, inflate_stages=[2], down_stages=[])


def write_config(tmp_path, base: str, body: str, name: str = 'override.py') -> str:
    """A config file inheriting ``base`` (repo-relative) with ``body`` appended.

    A name assigned twice in ``body`` is refused: the second ``train_dataloader = dict(...)`` would replace the
    first, not merge with it, and silently drop an override (e.g. the ``ann_file`` pointing at the test data).
    """
    body = textwrap.dedent(body)
    names = [t.id for node in ast.parse(body).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f'config override assigns {twice} more than once; merge them into one dict')
    path = osp.join(str(tmp_path), name)
    with open(path, 'w') as f:
        f.write(f'_base_ = [{osp.join(REPO, base)!r}]\n' + body)
    return path


def loader_overrides(ann_file: str) -> str:
    """Config text pointing every loader at ``ann_file`` with no worker processes."""
    return textwrap.dedent(f'''
    train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(ann_file={ann_file!r}))
    val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(ann_file={ann_file!r}))
    test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(ann_file={ann_file!r}))
    ''')


def run_tool(args, timeout=600, env=None, check=True):
    """Run ``python tools/...`` (or a shell script) from the repo root; returns the CompletedProcess."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    full_env.update(env or {})
    if args[0].endswith('.sh'):
        cmd = ['bash', osp.join(REPO, args[0])] + list(args[1:])
        full_env['PYTHON'] = sys.executable
    else:
        cmd = [sys.executable, osp.join(REPO, args[0])] + list(args[1:])
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed ({proc.returncode}):\n'
                             f'error lines: {error_lines(proc.stdout + proc.stderr)}\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def error_lines(log: str, limit: int = 20) -> list:
    """The distinct lines of ``log`` that name an exception (the root cause, when a launcher buries it)."""
    seen = []
    for line in log.splitlines():
        line = line.strip()
        if ('Error' in line or 'Exception' in line) and 'Traceback' not in line and line not in seen:
            seen.append(line)
    return seen[:limit]


def free_port() -> int:
    """A TCP port nobody listens on now (for a torchrun rendezvous; fixed ports collide between runs)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
