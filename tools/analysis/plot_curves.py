"""Training curves from mmengine logs (``WORK_DIR/*/vis_data/scalars.json``).

    python tools/analysis/plot_curves.py --run "stage 1" work_dirs/ctrgcn-b32-knowledge_30e_msr3d-xsub \\
        --keys loss acc/top1 --out docs/curves.png
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--run', nargs=2, action='append', metavar=('NAME', 'WORK_DIR_OR_JSON'), required=True)
    parser.add_argument('--keys', nargs='+', default=['loss'])
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    from sugar_mm.visualization.plots import plot_curves, read_scalars
    runs = {name: read_scalars(path) for name, path in args.run}
    plot_curves(runs, args.keys, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
