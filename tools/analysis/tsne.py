"""t-SNE of pooled encoder features on the test split (the paper's Fig. 5), one panel per model.

    python tools/analysis/tsne.py --out docs/tsne_msr3d.png \\
        --model "random init" configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py none \\
        --model "cross-entropy" configs/sugar/ablation/ctrgcn-b32-knowledge-none_30e_msr3d-xsub.py \\
            work_dirs/.../epoch_30.pth \\
        --model "SUGAR stage 1" configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py work_dirs/.../epoch_30.pth

Each ``--model TITLE CONFIG CHECKPOINT`` (``none`` = initial weights) is embedded with the same t-SNE settings;
the title of each panel also reports the silhouette score of the classes in feature space (higher = classes
better separated), so the figure comes with a number.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', nargs=3, action='append', metavar=('TITLE', 'CONFIG', 'CHECKPOINT'),
                        required=True)
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--split', default='test', choices=['test', 'train'])
    parser.add_argument('--perplexity', type=float, default=30)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--trust-checkpoint', action='store_true')
    args = parser.parse_args(argv)
    if args.trust_checkpoint:
        os.environ['SUGAR_MM_TRUST_CHECKPOINTS'] = '1'

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from sugar_mm.registry import DATASETS
    from sklearn.manifold import TSNE
    from sklearn.metrics import silhouette_score

    import sugar_mm  # noqa: F401
    from sugar_mm.apis import extract_features, init_recognizer

    torch.manual_seed(args.seed)
    panels = []
    for title, config, ckpt in args.model:
        model = init_recognizer(config, None if ckpt.lower() == 'none' else ckpt)
        loader_cfg = model.cfg.test_dataloader if args.split == 'test' else model.cfg.train_dataloader
        ds_cfg = dict(loader_cfg.dataset)
        if args.split == 'train':  # no augmentation randomness: use the test pipeline on the train split
            ds_cfg['pipeline'] = model.cfg.test_dataloader.dataset.pipeline
            ds_cfg['test_mode'] = True
        dataset = DATASETS.build(ds_cfg)
        out = extract_features(model, dataset)
        feats = out['feats'] / np.linalg.norm(out['feats'], axis=1, keepdims=True).clip(1e-8)
        emb = TSNE(n_components=2, perplexity=args.perplexity, init='pca', random_state=args.seed).fit_transform(feats)
        sil = float(silhouette_score(feats, out['labels'], metric='cosine'))
        panels.append((title, emb, out['labels'], sil, dataset.metainfo.get('classes')))
        print(f'{title}: {len(feats)} samples, silhouette (cosine) {sil:.3f}')

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5), squeeze=False)
    cmap = plt.get_cmap('tab20')
    for ax, (title, emb, labels, sil, classes) in zip(axes[0], panels):
        ax.scatter(emb[:, 0], emb[:, 1], c=[cmap(int(y) % 20) for y in labels], s=9)
        ax.set_title(f'{title}\nsilhouette {sil:.3f}')
        ax.set_xticks([])
        ax.set_yticks([])
    classes = panels[0][4]
    if classes:
        handles = [plt.Line2D([], [], marker='o', ls='', color=cmap(i % 20), label=n) for i, n in enumerate(classes)]
        fig.legend(handles=handles, loc='lower center', ncol=min(10, len(classes)), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
