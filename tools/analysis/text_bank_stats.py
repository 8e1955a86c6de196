"""How well a knowledge file's text embeddings separate its classes (the stage-1 targets), raw and centred.

    python tools/analysis/text_bank_stats.py                       # MSR Action3D knowledge, MiniLM (embedded)
    python tools/analysis/text_bank_stats.py --knowledge ntu120 --classes ntu120

Prints, per kind (name, motion, visual): the mean and largest cosine between two classes' mean embeddings, and for
kinds with several texts per class the mean cosine of two texts of one class vs of two classes; each as the texts
are and after subtracting the mean knowledge-text embedding (``KnowledgeContrastHead(center_texts=True)``).
"""
import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--knowledge', default='msr_action3d')
    p.add_argument('--classes', default='msr_action3d', help='label map (name or file)')
    p.add_argument('--text-encoder', default='embedded:all-minilm-l6-v2', help='SentenceTextEncoder path')
    args = p.parse_args(argv)
    import torch
    import torch.nn.functional as F

    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.knowledge.text_bank import TextBank
    torch.set_grad_enabled(False)
    bank = TextBank(args.knowledge, dict(type='SentenceTextEncoder', path=args.text_encoder, max_length=128),
                    class_names=load_label_map(args.classes), kinds=('name', 'motion', 'visual'))
    center = torch.cat([bank.select('motion')[0], bank.select('visual')[0]]).mean(0)

    def off_diagonal(x):
        s = x @ x.t()
        return s[~torch.eye(len(s), dtype=torch.bool)]

    for kind in ('name', 'motion', 'visual'):
        for label, shift in (('raw', 0), ('centred', center)):
            protos = F.normalize(bank.per_class(kind) - shift, dim=-1)
            off = off_diagonal(protos)
            line = f'{kind:6s} {label:7s}: two classes\' mean texts cosine {off.mean():.3f} (max {off.max():.3f})'
            texts, cls = bank.select(kind)
            if len(texts) > bank.num_classes:
                t = F.normalize(texts - shift, dim=-1)
                sim, same = t @ t.t(), cls[:, None] == cls[None]
                eye = torch.eye(len(cls), dtype=torch.bool)
                line += (f'; two texts of one class {sim[same & ~eye].mean():.3f}, '
                         f'of two classes {sim[~same].mean():.3f}')
            print(line)


if __name__ == '__main__':
    main()
