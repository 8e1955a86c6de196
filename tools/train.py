"""Train a recognizer (mmaction's tools/train.py, plus sugar_mm's compatibility fixes).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|CKPT]] [--amp] [--no-validate] ...
    bash tools/dist_train.sh CONFIG NUM_PROCS [same flags]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import sugar_mm  # noqa: E402,F401  (compat fixes before mmengine builds anything)
from sugar_mm.engine.cli import build_runner_cfg  # noqa: E402


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Train a SUGAR / mmaction recognizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir when no path is given '
                        '(or "auto")')
    parser.add_argument('--amp', action='store_true', help='mixed precision training (GPU)')
    parser.add_argument('--no-validate', action='store_true', help='do not validate during training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the lr with the total batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true', help='a different seed per rank')
    parser.add_argument('--deterministic', action='store_true', help='deterministic CUDNN / algorithms')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='fully unpickle checkpoints that no sugar_mm run of yours signed (only for files you '
                        'trust: unpickling can run arbitrary code)')
    parser.add_argument('--break-lock', action='store_true',
                        help='start even if the work dir\'s train.lock names another run that cannot be shown to be '
                        'dead (e.g. one on another host); two live runs in one work dir overwrite each other')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (e.g. train_cfg.max_epochs=2)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = build_runner_cfg(args, mode='train')
    from sugar_mm.engine.cli import build_runner, work_dir_lock
    with work_dir_lock(cfg, args):  # one training per work dir
        runner = build_runner(cfg)
        runner.train()


if __name__ == '__main__':
    main()
