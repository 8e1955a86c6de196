"""Test a checkpoint (mmaction's tools/test.py, plus sugar_mm options).

    python tools/test.py CONFIG CHECKPOINT [--dump results.pkl] [--classes FILE] ...
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [same flags]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

# Testing allocates prompt caches of varying sizes batch after batch; with fixed-size segments the CUDA caching
# allocator reserved 66 GiB for 37.7 GiB of tensors (LLaMA2-7B, batch 16, before the preallocated decoding cache;
# README "Performance"), with expandable segments 41.5 GiB. Set before torch is imported; an explicit
# PYTORCH_(CUDA_)ALLOC_CONF wins. (The CPU allocator ignores it.)
if 'PYTORCH_ALLOC_CONF' not in os.environ and 'PYTORCH_CUDA_ALLOC_CONF' not in os.environ:
    os.environ['PYTORCH_ALLOC_CONF'] = 'expandable_segments:True'

import sugar_mm  # noqa: E402,F401
from sugar_mm.engine.cli import build_runner, build_runner_cfg  # noqa: E402


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Test (and evaluate) a SUGAR / mmaction recognizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--dump', type=str, help='dump predictions (with sample ids) to a pickle file')
    parser.add_argument('--classes', type=str, default=None,
                        help='evaluate against another label list (zero-shot): a label-map file (one name per '
                        'line) or a shipped name; the test set keeps only samples of these classes')
    parser.add_argument('--knowledge', type=str, default=None,
                        help='knowledge file for the --classes names (names missing from it use their name only)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='fully unpickle the checkpoint even if no sugar_mm run of yours signed it (only for '
                        'files you trust: unpickling can run arbitrary code; --work-dir grants no trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = build_runner_cfg(args, mode='test')
    runner = build_runner(cfg)
    return runner.test()


if __name__ == '__main__':
    main()
