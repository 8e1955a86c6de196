"""Render a skeleton sequence to an animated GIF (or MP4) and a PNG strip of key frames, optionally captioned.

    python tools/visualization/render_skeleton.py INPUT --out-dir docs/ [--sample a01_s02_e01] \\
        [--caption "high arm wave" --text "The right arm is raised..."] [--layout kinect_v1]

INPUT is any file ``tools/infer.py`` reads. To caption with a model's prediction use ``tools/infer.py --render``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--sample', help='id of the sample (frame_dir) of a pickle to render (default: first)')
    parser.add_argument('--caption', help='class shown under the skeleton')
    parser.add_argument('--text', help='description shown under the class')
    parser.add_argument('--truth', help='ground truth shown next to the class')
    parser.add_argument('--layout', default=None, help='skeleton layout (default: from the joint count)')
    parser.add_argument('--frames', type=int, default=6, help='frames in the PNG strip')
    parser.add_argument('--format', default='gif', choices=['gif', 'mp4'])
    args = parser.parse_args(argv)

    from sugar_mm.apis.readers import read_skeleton_input
    from sugar_mm.visualization.skeleton import caption, render_animation, render_strip
    samples = read_skeleton_input(args.input)
    if args.sample:
        samples = [s for s in samples if s['frame_dir'] == args.sample]
        if not samples:
            sys.exit(f'{args.input}: no sample {args.sample!r}')
    s = samples[0]
    os.makedirs(args.out_dir, exist_ok=True)
    cap = caption(args.caption, args.text, args.truth)
    base = osp.join(args.out_dir, str(s['frame_dir']))
    print(render_strip(s['keypoint'], base + '_strip.png', num_frames=args.frames, title=cap, layout=args.layout))
    print(render_animation(s['keypoint'], f'{base}.{args.format}', title=cap, layout=args.layout))


if __name__ == '__main__':
    main()
