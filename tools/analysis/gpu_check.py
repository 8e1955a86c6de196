"""Check and measure SUGAR's GPU paths on one CUDA device: bf16, gradient checkpointing, NCCL DDP, paper scale.

    python tools/analysis/gpu_check.py [--arch FOLDER] [--out work_dirs/gpu_check.json] [--only SECTION ...]
    python tools/analysis/gpu_check.py --device cpu --smoke    # a CPU dry run of every section

The sections and their checks are :mod:`sugar_mm.analysis.gpu_check` (its docstring lists them); this script is
its command line.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from sugar_mm.analysis.gpu_check import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
