"""Generate motion knowledge (six body-part clauses per class) with a local chat LM into a knowledge draft.

Example::

    OMP_NUM_THREADS=1 python tools/knowledge/gen_motion.py --classes msr_action3d \\
        --out work_dirs/knowledge/msr_action3d.json --model embedded:smollm2-135m-instruct --limit 3

``--classes`` is a shipped label map name (ntu60, ntu120, pku_mmd, toyota, msr_action3d) or a text file with one
class name per line. The draft is written after every class; rerunning the command continues where it stopped
(classes that have motion knowledge are skipped; ``--redo-flagged`` regenerates the flagged ones). Then run
gen_brief.py and gen_visual.py on the same draft and check it with validate.py.

The paper used GPT-3.5. The default 135M SmolLM2 shows the mechanism but writes poor knowledge: give a bigger
instruction-tuned model with ``--model /path/to/hf_folder`` (or a hub id) for real use.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from sugar_mm.knowledge.generation import add_generation_args  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--classes', required=True, help='label map: shipped name or text file, one name a line')
    parser.add_argument('--out', required=True, help='draft JSON (created, or continued when it exists)')
    parser.add_argument('--model', default='embedded:smollm2-135m-instruct',
                        help='chat LM: local HF folder, hub id or embedded:smollm2-135m-instruct (default)')
    parser.add_argument('--dataset', default=None, help='dataset name written in the file (default: from --classes)')
    add_generation_args(parser)
    args = parser.parse_args(argv)

    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.knowledge.generation import ChatLM, KnowledgeDraft, append_raw_log, generate_motion
    names = load_label_map(args.classes)
    dataset = args.dataset or osp.splitext(osp.basename(args.classes))[0]
    draft = KnowledgeDraft.open(args.out, class_names=names, dataset=dataset)
    names = names if args.limit is None else names[:max(args.limit, 0)]
    lm = None
    if draft.pending('motion', names, redo_flagged=args.redo_flagged):
        lm = ChatLM.load(args.model, device=args.device, dtype=args.dtype, trust_remote_code=args.trust_remote_code,
                         max_new_tokens=args.max_new_tokens, repetition_penalty=args.repetition_penalty)
    report = generate_motion(names, lm, draft=draft, retries=args.retries, max_new_tokens=args.max_new_tokens,
                             seed=args.seed, redo_flagged=args.redo_flagged, progress=not args.no_progress)
    append_raw_log(args.raw_log, report)
    print(report.summary(args.out, draft))
    return 0


if __name__ == '__main__':
    sys.exit(main())
