"""Check a knowledge file (or a finished draft) against the schema; prints OK or the first error.

Example::

    python tools/knowledge/validate.py work_dirs/knowledge/msr_action3d.json --label-map msr_action3d

Exit code 0 when the file is valid, 1 otherwise. Classes flagged during generation (``provenance.flags``: answers
that needed placeholders) are listed as warnings; they do not fail the check but deserve a read.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('file', help='knowledge JSON, or a shipped dataset name (e.g. ntu60)')
    parser.add_argument('--label-map', default=None,
                        help='check class count and names against this label map (shipped name or file)')
    args = parser.parse_args(argv)

    from sugar_mm.knowledge.schema import KnowledgeError, load_knowledge
    try:
        knowledge = load_knowledge(args.file, label_names=args.label_map)
    except (KnowledgeError, FileNotFoundError, ValueError, OSError) as e:
        print(f'INVALID: {e}')
        return 1
    print(f'OK: {knowledge.source} ({knowledge.dataset}, {len(knowledge)} classes)')
    flags = knowledge.provenance.get('flags') or {}
    if isinstance(flags, dict):
        for key, per_class in flags.items():
            for name, why in (per_class or {}).items():
                print(f'  warning: {key} of {name!r} was flagged during generation: {why}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
