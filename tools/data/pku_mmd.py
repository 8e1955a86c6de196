"""Convert PKU-MMD (v1) skeletons and action labels into a trimmed-clip MMAction2 PoseDataset pickle.

Example::

    python tools/data/pku_mmd.py PKUMMD/Data/PKU_Skeleton_Renew PKUMMD/Label/Train_Label_PKU_final \
        data/pku_mmd/pku_mmd_3d.pkl --split-dir PKUMMD/Split

``--split-dir`` holds the official ``cross-subject.txt`` and ``cross-view.txt`` (or give them with ``--xsub`` /
``--xview``). PKU-MMD is distributed by Peking University (STRUCT) on request; see README.
"""
import argparse
import os.path as osp
import sys

from mmengine.utils import track_iter_progress

from sugar_mm.datasets.converters.pku_mmd import SPLIT_FILES, convert_pku_mmd, find_split_files
from sugar_mm.utils.io import atomic_pickle_dump


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('skeleton_dir', help='folder of the <video>.txt skeleton files (PKU_Skeleton_Renew)')
    parser.add_argument('label_dir', help='folder of the <video>.txt label files (Train_Label_PKU_final)')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument('--split-dir', help=f'folder with {" and ".join(SPLIT_FILES.values())}')
    parser.add_argument('--xsub', help='cross-subject split file (overrides --split-dir)')
    parser.add_argument('--xview', help='cross-view split file (overrides --split-dir)')
    parser.add_argument('--frame-index-base', type=int, choices=(0, 1), default=0,
                        help='whether start_frame/end_frame count skeleton lines from 0 (default) or 1')
    parser.add_argument('--strict', action='store_true', help='stop at the first malformed file instead of '
                        'excluding its video (with a logged reason)')
    parser.add_argument('--force', action='store_true', help='rewrite an existing output')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists (use --force to rewrite)')
        return 0
    split_files = find_split_files(args.split_dir) if args.split_dir and not (args.xsub and args.xview) else {}
    for name in ('xsub', 'xview'):
        if getattr(args, name):
            split_files[name] = getattr(args, name)
    if not split_files:
        parser.error('give --split-dir (or --xsub and/or --xview): the official split files define the protocols')
    data = convert_pku_mmd(args.skeleton_dir, args.label_dir, split_files, frame_index_base=args.frame_index_base,
                           strict=args.strict, progress=lambda x: track_iter_progress(list(x)))
    atomic_pickle_dump(data, args.out)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
