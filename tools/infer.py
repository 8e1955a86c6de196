"""Recognize skeleton files with a trained model: top-k classes with scores and the generated description.

    python tools/infer.py CONFIG CHECKPOINT INPUT [INPUT ...] [--topk 5] [--classes FILE] [--out results.json]
        [--render OUT_DIR]

INPUT: an MSR Action3D text file, an NTU ``.skeleton`` file, a ``.npy``/``.npz`` array (T, V, C) or
(M, T, V, C), or a PoseDataset pickle (all its samples). ``--classes`` evaluates against another label list
(zero-shot; one name per line). ``--render`` writes a captioned GIF and a PNG strip per sample.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('inputs', nargs='+')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--classes', help='label list for zero-shot evaluation (one name per line)')
    parser.add_argument('--knowledge', help='knowledge file for --classes')
    parser.add_argument('--out', help='write results as JSON')
    parser.add_argument('--render', help='folder for a GIF and a PNG strip per sample')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='fully unpickle the checkpoint even if no sugar_mm run of yours signed it (only for '
                        'files you trust)')
    parser.add_argument('--trust-pickle', action='store_true',
                        help='fully unpickle .pkl inputs (by default they may hold only dicts, lists, strings, '
                        'numbers and numpy arrays; only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='key=value config overrides')
    args = parser.parse_args(argv)
    if args.trust_checkpoint:
        os.environ['SUGAR_MM_TRUST_CHECKPOINTS'] = '1'

    import sugar_mm  # noqa: F401
    from sugar_mm.apis import inference_batch, init_recognizer
    from sugar_mm.apis.inference import check_input_samples
    from sugar_mm.apis.readers import read_skeleton_input
    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.utils.io import atomic_write_text

    cfg_options = args.cfg_options
    class_names = load_label_map(args.classes) if args.classes else None
    model = init_recognizer(args.config, args.checkpoint, cfg_options=cfg_options, class_names=class_names,
                            knowledge=args.knowledge)
    names = list(getattr(model.cls_head, 'class_names', None) or class_names or [])
    samples = []
    for path in args.inputs:
        read = read_skeleton_input(path, trust_pickle=args.trust_pickle)
        check_input_samples(model.cfg, read, source=path)  # names the file, before the pipeline sees it
        samples.extend(read)
    print(f'{len(samples)} sample(s) from {len(args.inputs)} input(s)')

    results = []
    for start in range(0, len(samples), args.batch_size):
        batch = samples[start:start + args.batch_size]
        for sample, pred in zip(batch, inference_batch(model, batch)):
            score = pred.pred_score.float()
            k = min(args.topk, score.numel())
            top = score.topk(k)
            entry = dict(sample=sample['frame_dir'],
                         topk=[dict(label=int(i), name=names[int(i)] if names else str(int(i)), score=float(s))
                               for s, i in zip(top.values, top.indices)])
            if 'pred_text' in pred:
                entry.update(text=pred.pred_text, text_label=int(pred.pred_text_label), parse_path=pred.parse_path)
                if pred.parse_path == 'failed':
                    entry['parse_reason'] = pred.parse_reason
            results.append(entry)
            print(f'\n{entry["sample"]}')
            for t in entry['topk']:
                print(f'  {t["score"]:.3f}  {t["name"]}')
            if 'text' in entry:
                print(f'  answer: {entry["text"]}  [{entry["parse_path"]}]')
            if args.render:
                from sugar_mm.visualization.skeleton import caption, render_animation, render_strip
                os.makedirs(args.render, exist_ok=True)
                cap = caption(entry['topk'][0]['name'], entry.get('text'))
                base = osp.join(args.render, str(entry['sample']).replace('/', '_'))
                render_strip(sample['keypoint'], base + '.png', title=cap)
                render_animation(sample['keypoint'], base + '.gif', title=cap)
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=1) + '\n')
        print(f'\nwrote {args.out}')
    return results


if __name__ == '__main__':
    main()
