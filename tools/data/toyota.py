"""Convert Toyota Smarthome (trimmed) LCR-Net++ pose JSON files into an MMAction2 PoseDataset pickle.

Examples::

    python tools/data/toyota.py Smarthome/skeletonv12 data/toyota/toyota_3d.pkl
    python tools/data/toyota.py Smarthome/json data/toyota/toyota_2d.pkl --coords 2d

Splits: xsub (training subjects of --xsub-train-subjects, 31 classes), xview1 / xview2 (--xview1 / --xview2
``TRAIN_CAMERAS:TEST_CAMERAS``, the 19 cross-view classes, 31-class labels: use
``class_subset=sugar_mm.datasets.converters.toyota.XVIEW_CLASSES`` for 19-way training). The dataset is
distributed by Inria / Toyota on request; see README.
"""
import argparse
import os.path as osp
import sys

from mmengine.utils import track_iter_progress

from sugar_mm.datasets.converters.toyota import XSUB_TRAIN_SUBJECTS, XVIEW_CAMERAS, convert_toyota
from sugar_mm.utils.io import atomic_pickle_dump


def _ints(text: str):
    return tuple(int(x) for x in text.split(',') if x.strip())


def _cameras(text: str):
    train, sep, val = text.partition(':')
    if not sep or not _ints(train) or not _ints(val):
        raise argparse.ArgumentTypeError(f'expected TRAIN_CAMERAS:TEST_CAMERAS like 1,3,4:2, got {text!r}')
    return _ints(train), _ints(val)


def _fmt(cams):
    return f'{",".join(map(str, cams[0]))}:{",".join(map(str, cams[1]))}'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pose_dir', help='folder with the clips\' pose .json files (searched recursively)')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument('--coords', choices=('3d', '2d'), default='3d', help='pose3d (default) or pose2d')
    parser.add_argument('--label-map', default='toyota', help='label map (shipped name or file)')
    parser.add_argument('--xsub-train-subjects', type=_ints, default=XSUB_TRAIN_SUBJECTS,
                        help=f'comma-separated (default {",".join(map(str, XSUB_TRAIN_SUBJECTS))})')
    parser.add_argument('--xview1', type=_cameras, default=XVIEW_CAMERAS['xview1'],
                        help=f'TRAIN:TEST cameras (default {_fmt(XVIEW_CAMERAS["xview1"])})')
    parser.add_argument('--xview2', type=_cameras, default=XVIEW_CAMERAS['xview2'],
                        help=f'TRAIN:TEST cameras (default {_fmt(XVIEW_CAMERAS["xview2"])})')
    parser.add_argument('--strict', action='store_true', help='stop at the first unreadable file instead of '
                        'excluding its clip (with a logged reason)')
    parser.add_argument('--force', action='store_true', help='rewrite an existing output')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists (use --force to rewrite)')
        return 0
    data = convert_toyota(args.pose_dir, coords=args.coords, label_map=args.label_map,
                          xsub_train_subjects=args.xsub_train_subjects,
                          xview_cameras=dict(xview1=args.xview1, xview2=args.xview2), strict=args.strict,
                          progress=lambda x: track_iter_progress(list(x)))
    atomic_pickle_dump(data, args.out)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
