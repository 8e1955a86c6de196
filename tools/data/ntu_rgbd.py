"""Convert raw NTU RGB+D 60/120 .skeleton files into an MMAction2 PoseDataset pickle (mmaction's ntu*_3d.pkl).

Examples::

    python tools/data/ntu_rgbd.py data/nturgb+d_skeletons data/ntu/ntu60_3d.pkl --dataset ntu60 --workers 2
    python tools/data/ntu_rgbd.py data/nturgbd_s001_s017 data/nturgbd_s018_s032 data/ntu/ntu120_3d.pkl \
        --dataset ntu120

The conversion of the full NTU120 (114k files) takes a while: per-chunk results are kept in ``OUT.work/`` so an
interrupted run continues where it stopped when started again with the same arguments; the folder is removed
once the pickle is written (``--keep-work`` keeps it). The raw skeletons (``nturgbd_skeletons_s001_to_s017.zip``
and ``nturgbd_skeletons_s018_to_s032.zip``) are distributed by the ROSE Lab (NTU Singapore) on request; see
README.
"""
import argparse
import os.path as osp
import shutil
import sys

from mmengine.utils import track_iter_progress

from sugar_mm.datasets.converters.ntu_rgbd import DATASETS, convert_ntu
from sugar_mm.utils.io import atomic_pickle_dump


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('raw_dirs', nargs='+', help='folder(s) with the *.skeleton files (searched recursively)')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument('--dataset', choices=DATASETS, default='ntu60', help='ntu60 (S001-S017, A001-A060) or ntu120')
    parser.add_argument('--workers', type=int, default=0, help='worker processes (default: convert in-process)')
    parser.add_argument('--work-dir', help='folder for the resumable per-chunk results (default: OUT.work)')
    parser.add_argument('--keep-work', action='store_true', help='keep the work folder after success')
    parser.add_argument('--missing', help='missing-skeleton list to apply instead of the official one shipped '
                        'in sugar_mm/datasets/meta')
    parser.add_argument('--strict', action='store_true', help='stop at the first unreadable file instead of '
                        'excluding it (with a logged reason)')
    parser.add_argument('--force', action='store_true', help='rewrite an existing output')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists (use --force to rewrite)')
        return 0
    work_dir = args.work_dir or args.out + '.work'
    data = convert_ntu(args.raw_dirs, dataset=args.dataset, work_dir=work_dir, workers=args.workers,
                       missing=args.missing, strict=args.strict,
                       progress=lambda it, n: track_iter_progress((it, n)))
    atomic_pickle_dump(data, args.out)
    print(f'wrote {args.out}')
    if not args.keep_work:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
