"""SUGAR through the real tools with tiny models (HF-test style): stage 1 on real MSR Action3D -> encoder.pth ->
stage 2 (tiny Llama + LoRA) -> test with --dump (scores + generated text) -> zero-shot --classes; and the
paper-scale NTU configs built and run for an iteration with the encoder, text encoder and LLM swapped for tiny
ones."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from tests.conftest import TINY_BERT, TINY_LLAMA
from .helpers import free_port, TINY_CTRGCN, loader_overrides, run_tool, write_config

STAGE1 = 'configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py'
STAGE2 = 'configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'
TINY_TEXT = dict(type='SentenceTextEncoder', config=TINY_BERT, tokenizer='embedded:all-minilm-l6-v2')
TINY_LLM = dict(config=TINY_LLAMA, tokenizer='embedded:smollm2-135m-instruct')


def stage1_override(ann_file, cache):
    return f'''
model = dict(backbone=dict(_delete_=True, **{TINY_CTRGCN!r}),
             cls_head=dict(in_channels=16, text_encoder=dict(_delete_=True, **{TINY_TEXT!r}),
                           text_cache_dir={cache!r}))
train_cfg = dict(max_epochs=1, val_interval=1)
''' + loader_overrides(ann_file)


def stage2_override(ann_file, encoder):
    return f'''
model = dict(backbone=dict(_delete_=True, **{TINY_CTRGCN!r}), encoder_checkpoint={encoder!r},
             cls_head=dict(in_channels=16, llm=dict(_delete_=True, **{TINY_LLM!r}),
                           bridge=dict(num_queries=4, width=32, num_heads=4),
                           lora=dict(r=4, alpha=8), max_new_tokens=8))
# epoch 1: bridge warm-up (alignment loss only), epoch 2: LLM training
custom_hooks = [dict(type='BridgeWarmupHook', epochs=1)]
train_cfg = dict(max_epochs=2, val_begin=2, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=1, by_epoch=True, begin=1, end=2,
                        convert_to_iter_based=True)]
''' + loader_overrides(ann_file)


@pytest.fixture(scope='module')
def pipeline(tmp_path_factory, msr_pkl):
    root = tmp_path_factory.mktemp('sugar')
    cache = str(root / 'text_cache')
    cfg1 = write_config(root, STAGE1, stage1_override(msr_pkl, cache), 's1.py')
    wd1 = str(root / 'stage1')
    log1 = run_tool(['tools/train.py', cfg1, '--work-dir', wd1, '--seed', '0'])
    encoder = osp.join(wd1, 'encoder.pth')
    cfg2 = write_config(root, STAGE2, stage2_override(msr_pkl, encoder), 's2.py')
    wd2 = str(root / 'stage2')
    log2 = run_tool(['tools/train.py', cfg2, '--work-dir', wd2, '--seed', '0'])
    return dict(root=root, cfg1=cfg1, cfg2=cfg2, wd1=wd1, wd2=wd2, encoder=encoder,
                log1=log1.stdout + log1.stderr, log2=log2.stdout + log2.stderr)


def test_stage1_trains_and_exports_the_encoder(pipeline):
    assert 'loss_milnce' in pipeline['log1'] and 'acc/top1' in pipeline['log1']
    state = torch.load(pipeline['encoder'], weights_only=True)['state_dict']
    assert state and all(k.startswith('backbone.') for k in state)


def test_stage2_trains_only_bridge_and_lora_and_checkpoints_only_them(pipeline):
    log = pipeline['log2']
    assert 'loss_lm' in log and 'llm/top1' in log and 'llm/text_top1' in log
    assert f'loaded encoder weights from {pipeline["encoder"]}' in log
    # the warm-up epoch logs the alignment loss alone, the LLM epoch both losses
    warm = [line for line in log.splitlines() if 'Epoch(train) [1]' in line and 'loss:' in line]
    llm = [line for line in log.splitlines() if 'Epoch(train) [2]' in line and 'loss:' in line]
    assert warm and all('loss_align' in line and 'loss_lm' not in line for line in warm)
    assert llm and all('loss_align' in line and 'loss_lm' in line for line in llm)
    assert 'bridge warm-up' in log
    ckpt = torch.load(osp.join(pipeline['wd2'], 'epoch_2.pth'), map_location='cpu', weights_only=False)
    keys = list(ckpt['state_dict'])
    assert keys and all(k.startswith('cls_head.bridge.') or 'lora_' in k for k in keys)
    assert not any(k.startswith('backbone.') for k in keys)


def test_test_dump_has_ids_scores_and_generated_text(pipeline, tmp_path):
    dump = str(tmp_path / 'results.pkl')
    proc = run_tool(['tools/test.py', pipeline['cfg2'], osp.join(pipeline['wd2'], 'epoch_2.pth'), '--work-dir',
                     pipeline['wd2'], '--dump', dump])
    assert 'llm/top1' in proc.stdout + proc.stderr
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 273
    r = results[0]
    assert {'frame_dir', 'pred_score', 'pred_text', 'pred_text_label', 'parse_path'} <= set(r)
    assert np.asarray(r['pred_score']).shape == (20, )


def test_zero_shot_classes_option(pipeline, tmp_path, msr_pkl):
    names = ['draw circle', 'two hand wave', 'side kick', 'tennis serve', 'pickup and throw']
    label_file = tmp_path / 'unseen.txt'
    label_file.write_text('\n'.join(names) + '\n')
    dump = str(tmp_path / 'zsl.pkl')
    run_tool(['tools/test.py', pipeline['cfg2'], osp.join(pipeline['wd2'], 'epoch_2.pth'), '--work-dir',
              pipeline['wd2'], '--classes', str(label_file), '--dump', dump])
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    assert results and all(np.asarray(r['pred_score']).shape == (5, ) for r in results)
    # only test sequences of those 5 classes, labels remapped to the new list
    assert {int(np.asarray(r['gt_label']).reshape(-1)[0]) for r in results} == set(range(5))
    with open(msr_pkl, 'rb') as f:
        data = pickle.load(f)
    val = set(data['split']['xsub_val'])
    from sugar_mm.datasets.label_maps import load_label_map
    wanted = {load_label_map('msr_action3d').index(n) for n in names}
    assert len(results) == sum(1 for a in data['annotations'] if a['frame_dir'] in val and a['label'] in wanted)


def test_missing_stage1_checkpoint_names_the_command(tmp_path, msr_pkl):
    cfg = write_config(tmp_path, STAGE2,
                       stage2_override(msr_pkl, str(tmp_path / 'nope' / 'encoder.pth')))
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')], check=False)
    assert proc.returncode != 0
    assert f'python tools/train.py {STAGE1}' in proc.stderr


def test_stage2_ddp_two_cpu_processes_without_find_unused_parameters(pipeline, tmp_path, msr_pkl):
    """DDP with the frozen LLM and the frozen encoder: every trainable parameter (TQP, LoRA) gets a gradient
    each step, in the bridge warm-up epoch too, so DDP needs no find_unused_parameters (it would raise
    otherwise)."""
    cfg = write_config(tmp_path, STAGE2, stage2_override(msr_pkl, pipeline['encoder']) +
                       'find_unused_parameters = False\n')
    work = str(tmp_path / 'ddp')
    proc = run_tool(['tools/dist_train.sh', cfg, '2', '--work-dir', work, '--seed', '0', '--no-validate',
                     '--cfg-options', 'default_hooks.logger.interval=1', 'train_dataloader.batch_size=16'],
                    env=dict(PORT=str(free_port())))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    # 284 sequences / 2 ranks / batch 16 = 9 iterations per rank; epoch 1 is the bridge warm-up
    assert 'Epoch(train) [1][9/9]' in log and 'Epoch(train) [2][9/9]' in log and 'loss_lm' in log
    ckpt = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert all(k.startswith('cls_head.bridge.') or 'lora_' in k for k in ckpt['state_dict'])


def test_list_probe_canonical_top1_is_the_test_top1(pipeline, tmp_path):
    """tools/analysis/list_probe.py on the tiny stage-2 model: its canonical-list top-1 equals what
    tools/test.py's scores give on the same samples; the other lists are probed too."""
    import json
    ckpt = osp.join(pipeline['wd2'], 'epoch_2.pth')
    dump, out = str(tmp_path / 'r.pkl'), str(tmp_path / 'probe.json')
    run_tool(['tools/test.py', pipeline['cfg2'], ckpt, '--work-dir', pipeline['wd2'], '--dump', dump])
    run_tool(['tools/analysis/list_probe.py', '--config', pipeline['cfg2'], '--checkpoint', ckpt,
              '--permutations', '2', '--distractors', '10', '--limit', '24', '--out', out])
    with open(dump, 'rb') as f:
        results = pickle.load(f)[:24]
    expected = np.mean([int(np.argmax(r['pred_score'])) == int(np.asarray(r['gt_label']).reshape(-1)[0])
                        for r in results])
    with open(out) as f:
        probe = json.load(f)
    (row, ) = probe['runs'].values()
    assert set(row) == {'canonical', 'perm1', 'perm2', 'distractors10', 'bridge_align', 'perm_mean'}
    assert row['canonical']['top1'] == pytest.approx(expected)
    assert len(probe['lists']['distractors10']) == 30
