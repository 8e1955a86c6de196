"""Confusion-matrix PNG from a ``tools/test.py --dump`` file.

    python tools/analysis/confusion_matrix.py results.pkl --classes msr_action3d --out docs/confusion.png [--text]

``--text`` uses the class parsed from the generated answers (LLM head) instead of the class scores; answers that
name no class get their own column.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dump')
    parser.add_argument('--classes', required=True, help='label map (shipped name or file)')
    parser.add_argument('--out', required=True)
    parser.add_argument('--text', action='store_true', help='use the classes parsed from generated text')
    parser.add_argument('--title')
    args = parser.parse_args(argv)
    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.visualization.plots import load_dump, plot_confusion
    stats = plot_confusion(load_dump(args.dump), load_label_map(args.classes), args.out, args.text, args.title)
    print(f'wrote {args.out}: accuracy {100 * stats["accuracy"]:.1f}%, '
          f'mean class recall {100 * stats["mean_class_recall"]:.1f}%')


if __name__ == '__main__':
    main()
