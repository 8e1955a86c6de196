"""Generate visual knowledge: CLIP picks the k most dissimilar frames of each class, a VLM describes each one.

Example::

    OMP_NUM_THREADS=1 python tools/knowledge/gen_visual.py --frames data/my_videos \\
        --draft work_dirs/knowledge/my_dataset.json --clip openai/clip-vit-base-patch32 \\
        --vlm llava-hf/llava-interleave-qwen-0.5b-hf --k 3 --frames-per-video 16

``--frames ROOT`` holds one folder per class, ``ROOT/<class name>/``, named exactly like the class or after
normalisation (case, and runs of other characters than letters and digits, so ``eat meal/snack`` may be
``eat_meal_snack``). A class folder holds videos (.mp4/.avi/..., read with OpenCV, ``--frames-per-video`` evenly
spaced frames each), images (each one a frame) and/or sub-folders of frame images (one sequence each, sampled
like a video). All frames of a class are embedded with the CLIP vision encoder (``--clip``: a local folder or
hub id with ``CLIPVisionModelWithProjection`` weights and a ``CLIPImageProcessor``), the ``--k`` most mutually
dissimilar ones are kept (greedy farthest-point selection), and the VLM (``--vlm``: any
``AutoModelForImageTextToText`` folder with its ``AutoProcessor``) describes each kept frame with the paper's
prompt. The draft is written after every class and a rerun skips classes that have visual knowledge.

The draft normally comes from gen_motion.py; ``--classes`` creates it when it does not exist yet.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from sugar_mm.knowledge.generation import add_generation_args  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--frames', required=True, help='ROOT with one folder of videos/images per class')
    parser.add_argument('--draft', required=True, help='draft JSON (updated in place)')
    parser.add_argument('--clip', required=True, help='CLIP vision model: local folder or hub id')
    parser.add_argument('--vlm', required=True, help='vision-language model: local folder or hub id')
    parser.add_argument('--k', type=int, default=3, help='frames kept and described per class (default: 3)')
    parser.add_argument('--frames-per-video', type=int, default=16,
                        help='frames sampled per video or frame sequence (default: 16)')
    parser.add_argument('--max-videos', type=int, default=None, help='use at most N videos per class')
    parser.add_argument('--classes', default=None,
                        help='label map (shipped name or file) to create the draft when it does not exist')
    add_generation_args(parser)
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error('--k must be >= 1')

    from sugar_mm.knowledge.generation import (ClassFrameFolder, CLIPFrameEncoder, KnowledgeDraft,
                                               VisionLanguageModel, append_raw_log, generate_visual)
    if args.classes is not None and not osp.exists(args.draft):
        from sugar_mm.datasets.label_maps import load_label_map
        draft = KnowledgeDraft.open(args.draft, class_names=load_label_map(args.classes),
                                    dataset=osp.splitext(osp.basename(args.classes))[0])
    else:
        draft = KnowledgeDraft.open(args.draft)
    names = draft.names if args.limit is None else draft.names[:max(args.limit, 0)]
    frames = ClassFrameFolder(args.frames, names, frames_per_video=args.frames_per_video,
                              max_videos=args.max_videos)
    clip = vlm = None
    if [n for n in draft.pending('visual', names, redo_flagged=args.redo_flagged) if n in frames]:
        clip = CLIPFrameEncoder.load(args.clip, device=args.device)
        vlm = VisionLanguageModel.load(args.vlm, device=args.device, dtype=args.dtype,
                                       trust_remote_code=args.trust_remote_code, max_new_tokens=args.max_new_tokens,
                                       repetition_penalty=args.repetition_penalty)
    report = generate_visual(frames, clip, vlm, k=args.k, draft=draft, class_names=names, retries=args.retries,
                             max_new_tokens=args.max_new_tokens, seed=args.seed, redo_flagged=args.redo_flagged,
                             progress=not args.no_progress)
    append_raw_log(args.raw_log, report)
    print(report.summary(args.draft, draft))
    for name, ids in report.frames.items():
        print(f'  kept frames of {name!r}: {ids}')
    if report.no_input:
        print(f'  (no frames folder under {args.frames} for: {report.no_input})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
