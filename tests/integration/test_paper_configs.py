"""Every config parses, is filed by stage, and a stage-2 config trains on the encoder its stage-1 config makes;
the paper-scale NTU configs (stage 1 and stage 2) are built and run for one training iteration and one validation
pass, with the data, encoder, text encoder and LLM swapped for tiny versions by a test override."""
import glob
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import TINY_LLAMA
from .helpers import REPO

TINY_NTU_CTRGCN = dict(type='CTRGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial'), num_person=2,
                       base_channels=8, num_stages=2, inflate_stages=[2], down_stages=[])
TINY_CLIP = dict(type='CLIPTextEncoder', tokenizer='embedded:all-minilm-l6-v2',
                 config=dict(vocab_size=30522, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                             num_attention_heads=2, projection_dim=24, max_position_embeddings=128))
SPLITS = ('xsub', 'xview', 'xset')
#: every config file, bases included
CONFIG_FILES = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
CONFIGS = [p for p in CONFIG_FILES if '_base_' not in p.split(osp.sep)]


def load(path):
    return Config.fromfile(osp.join(REPO, path), import_custom_modules=False)


def test_configs_are_filed_by_stage():
    assert len(CONFIGS) > 40
    for path in CONFIGS:
        folder = osp.dirname(path)
        assert folder in ('configs/sugar/stage1', 'configs/sugar/stage2', 'configs/sugar/zsl', 'configs/sugar/ablation',
                          'configs/baselines', 'configs/baselines/zsl') or path == 'configs/sugar_ntu120.py', path
        # model_recipe_schedule_data-split[_test-data], mmaction style: '-' inside a field, '_' between fields
        assert re.fullmatch(r'[a-z0-9.-]+(_[a-z0-9.-]+){2,4}\.py', osp.basename(path)) or folder == 'configs', path


@pytest.mark.parametrize('path', CONFIG_FILES)
def test_every_config_file_parses(path):
    cfg = load(path)
    if path in CONFIGS:
        assert 'model' in cfg and cfg.custom_imports.imports == ['sugar_mm']


@pytest.mark.parametrize('path', [p for p in CONFIGS if 'encoder_checkpoint' in load(p).model])
def test_stage2_takes_its_encoder_from_its_stage1_config(path):
    """The encoder a stage-2 config builds is its stage-1 config's, loaded from the file that config exports."""
    cfg = load(path)
    stage1 = load(cfg.stage1_config)
    name = osp.splitext(osp.basename(cfg.stage1_config))[0]
    assert cfg.model.encoder_checkpoint == f'work_dirs/{name}/encoder.pth'
    assert cfg.stage1_config in cfg.model.encoder_checkpoint_hint
    assert [h.type for h in stage1.custom_hooks] == ['ExportEncoderHook']
    assert cfg.model.backbone == stage1.model.backbone and cfg.model.freeze_encoder
    assert cfg.model.keep_temporal_resolution == stage1.model.keep_temporal_resolution
    assert cfg.model.cls_head.in_channels == stage1.model.cls_head.in_channels


@pytest.mark.parametrize('path', [p for p in CONFIGS if 'zsl_split' in load(p)])
def test_a_zero_shot_config_trains_on_the_seen_classes_of_its_split(path):
    cfg = load(path)
    split = cfg.zsl_split
    data = osp.splitext(osp.basename(path))[0].split('_')[-1]  # the file names the split: ntu60-zsl-55-5
    dataset, seen, unseen = re.fullmatch(r'(.+)-zsl-(\d+)-(\d+)', data).groups()
    assert split == f"zsl:{dict(msr3d='msr_action3d').get(dataset, dataset.replace('-', '_'))}_{seen}_{unseen}"
    head = cfg.model.cls_head
    assert head.get('class_names', head.get('train_class_names')) == f'{split}:seen'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.class_subset == f'{split}:seen'
    assert {m.unseen for m in cfg.test_evaluator if m.type == 'ZeroShotMetric'} == {f'{split}:unseen'}


@pytest.mark.parametrize('path', [p for p in CONFIGS if load(p).model.cls_head.type == 'LLMHead'])
def test_every_stage2_config_trains_list_conditioned_and_keeps_test_names_out(path):
    """List-conditioned training is on in every stage-2 config; no name a config's checkpoint is tested on as an
    unseen class can be a training distractor."""
    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.models.llm.action_lists import ActionListSampler, normalize_name
    cfg = load(path)
    head = cfg.model.cls_head
    lists = head.get('train_lists')
    assert lists is not None and lists['pool'] == 'all' and lists['max_pool'] > 0, path
    if 'zsl_split' in cfg:
        pool = ActionListSampler(load_label_map(head.class_names), **lists).pool
        unseen = {normalize_name(n) for n in load_label_map(f'{cfg.zsl_split}:unseen')}
        assert not unseen & {normalize_name(n) for n in pool}
    if 'ntu60-xsub' in path and 'zsl' not in path:  # also serves the NTU-120 P1 / PKU-MMD P2 transfer protocols
        assert set(lists['exclude']) == {'ntu120', 'pku_mmd'}


@pytest.fixture(scope='module')
def ntu_pkl(tmp_path_factory):
    """A synthetic pickle in the layout of tools/data/ntu_rgbd.py (2 persons, 25 joints), every official split."""
    rng = np.random.default_rng(0)
    annos, split = [], {}
    for i in range(8):
        kp = rng.normal(size=(2, 30 + i, 25, 3)).astype(np.float32)
        if i % 2:
            kp[1] = 0  # single-person sample
        annos.append(dict(frame_dir=f'S001C001P{i:03d}R001A{i + 1:03d}', label=i, keypoint=kp,
                          total_frames=kp.shape[1]))
    names = [a['frame_dir'] for a in annos]
    for s in SPLITS:
        split[f'{s}_train'] = names[:4]
        split[f'{s}_val'] = names[4:]
    path = str(tmp_path_factory.mktemp('ntu') / 'ntu.pkl')
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annos), f)
    return path


def tiny_runner(config, work_dir, ann_file, model_override, tmp):
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].batch_size = 4
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
        cfg[key].dataset.ann_file = ann_file
    cfg.train_cfg.max_epochs = 1
    cfg.merge_from_dict(model_override)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('name', ['ntu60-xsub', 'ntu60-xview', 'ntu120-xsub', 'ntu120-xset'])
def test_stage1_paper_config_runs(name, ntu_pkl, tmp_path):
    runner = tiny_runner(f'configs/sugar/stage1/ctrgcn-knowledge_200e_{name}.py', tmp_path / 'w', ntu_pkl, {
        'model.backbone': dict(TINY_NTU_CTRGCN, _delete_=True),
        'model.cls_head.in_channels': 16,
        'model.cls_head.text_encoder': dict(TINY_CLIP, _delete_=True),
        'model.cls_head.text_cache_dir': str(tmp_path / 'tb'),
    }, tmp_path)
    cfg = runner.cfg
    assert cfg.model.keep_temporal_resolution and cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.train_cfg.val_interval == 10 and cfg.auto_scale_lr.base_batch_size == 200
    assert cfg.train_dataloader.dataset.split == f'{name.split("-")[1]}_train'
    runner.train()
    assert osp.isfile(osp.join(runner.work_dir, 'encoder.pth'))
    assert runner.model.cls_head.num_classes == (60 if name.startswith('ntu60') else 120)


@pytest.mark.parametrize('config', ['configs/sugar_ntu120.py'] + [
    f'configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_{name}.py'
    for name in ('ntu120-xset', 'ntu60-xsub', 'ntu60-xview')])
def test_stage2_paper_config_runs(config, ntu_pkl, tmp_path):
    from sugar_mm.registry import MODELS
    encoder = MODELS.build(TINY_NTU_CTRGCN)
    enc_file = str(tmp_path / 'encoder.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in encoder.state_dict().items()}), enc_file)
    runner = tiny_runner(config, tmp_path / 'w', ntu_pkl, {
        'model.backbone': dict(TINY_NTU_CTRGCN, _delete_=True),
        'model.encoder_checkpoint': enc_file,
        'model.cls_head.in_channels': 16,
        'model.cls_head.llm': dict(config=TINY_LLAMA, tokenizer='embedded:smollm2-135m-instruct', _delete_=True),
        'model.cls_head.bridge': dict(type='tqp', num_queries=8, width=32, num_heads=4),
        'model.cls_head.autocast_dtype': None,
        'model.cls_head.max_new_tokens': 4,
    }, tmp_path)
    cfg = runner.cfg
    # the paper's settings survive the override
    head = cfg.model.cls_head
    assert head.lora.r == 64 and head.lora.alpha == 16 and cfg.optim_wrapper.optimizer.lr == 2e-5
    assert cfg.train_cfg.max_epochs == 1 and cfg.auto_scale_lr.base_batch_size == 128
    assert head.token_layout == 'time_joint' and head.gradient_checkpointing
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    runner.train()
    metrics = runner.message_hub.get_scalar('val/llm/top1')
    assert metrics is not None
    assert len(runner.model.cls_head.class_names) == (60 if 'ntu60' in config else 120)
