"""Generate brief descriptions (one-sentence LLM answer texts) from a draft's motion knowledge with a chat LM.

Example::

    OMP_NUM_THREADS=1 python tools/knowledge/gen_brief.py --draft work_dirs/knowledge/msr_action3d.json \\
        --model embedded:smollm2-135m-instruct --num-briefs 2 --limit 3

Run gen_motion.py first: each class's brief prompt contains its motion knowledge (classes without it are listed
and left alone). The draft is written after every class and a rerun skips classes that have briefs
(``--redo-flagged`` regenerates the flagged ones). Briefs are written to follow ``"{class}. "`` in stage 2.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from sugar_mm.knowledge.generation import add_generation_args  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--draft', required=True, help='draft JSON made by gen_motion.py (updated in place)')
    parser.add_argument('--model', default='embedded:smollm2-135m-instruct',
                        help='chat LM: local HF folder, hub id or embedded:smollm2-135m-instruct (default)')
    parser.add_argument('--num-briefs', type=int, default=2, help='briefs per class (>= 2; default: 2)')
    add_generation_args(parser)
    args = parser.parse_args(argv)
    if args.num_briefs < 2:
        parser.error('--num-briefs must be >= 2 (the schema needs two briefs per class)')

    from sugar_mm.knowledge.generation import ChatLM, KnowledgeDraft, append_raw_log, generate_brief
    draft = KnowledgeDraft.load(args.draft)
    names = draft.names if args.limit is None else draft.names[:max(args.limit, 0)]
    lm = None
    todo = draft.pending('brief', names, redo_flagged=args.redo_flagged)
    if any(draft.filled(n, 'motion') for n in todo):
        lm = ChatLM.load(args.model, device=args.device, dtype=args.dtype, trust_remote_code=args.trust_remote_code,
                         max_new_tokens=args.max_new_tokens, repetition_penalty=args.repetition_penalty)
    report = generate_brief(names, lm, draft=draft, num_briefs=args.num_briefs, retries=args.retries,
                            max_new_tokens=args.max_new_tokens, seed=args.seed, redo_flagged=args.redo_flagged,
                            progress=not args.no_progress)
    append_raw_log(args.raw_log, report)
    print(report.summary(args.draft, draft))
    if report.no_input:
        print('  (classes without motion knowledge: run tools/knowledge/gen_motion.py on them first)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
