"""Convert raw MSR Action3D skeletons into an MMAction2 PoseDataset pickle.

Example::

    python tools/data/msr_action3d.py ../shared/data/msr_action3d data/msr_action3d/msr_action3d.pkl

The raw data (``aXX_sYY_eZZ_skeleton3D.txt``, real-world coordinates) is distributed by Wanqing Li (UOW) and
redistributed in R. Vemulapalli's ``skeletal_action_classification`` package; see README.
"""
import argparse
import os.path as osp
import sys

from mmengine.utils import track_iter_progress

from sugar_mm.datasets.converters.msr_action3d import convert_msr_action3d
from sugar_mm.utils.io import atomic_pickle_dump


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('raw_root', help='folder with the *_skeleton3D.txt files (or its parent)')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument('--force', action='store_true', help='rewrite an existing output')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists (use --force to rewrite)')
        return 0
    data = convert_msr_action3d(args.raw_root, progress=lambda x: track_iter_progress(list(x)))
    atomic_pickle_dump(data, args.out)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
