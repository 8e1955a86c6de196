# SUGAR stage 2 on NTU RGB+D 120 X-Sub at paper scale (8 GPUs): the frozen stage-1 CTR-GCN -> TQP (k=128) ->
# LLaMA2-7B (frozen, bf16) + LoRA r=64, 1 epoch. configs/sugar_ntu120.py is this config under the design card's name.
#   bash tools/dist_train.sh configs/sugar/stage1/ctrgcn-knowledge_200e_ntu120-xsub.py 8   # stage 1 -> encoder.pth
#   bash tools/dist_train.sh configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py 8   # stage 2
# Needs data/skeleton/ntu120_3d.pkl (tools/data/ntu_rgbd.py) and LLaMA2-7B in data/models/Llama-2-7b-hf.
# Memory, measured on one H100 with the LLaMA2-7B architecture (tools/analysis/gpu_check.py, README "Performance"):
# weights 13.2 GiB; a training step at 16 per GPU with gradient checkpointing peaks at 21.2 GiB allocated (22.5
# reserved), 1.4 s; without checkpointing it does not fit in 80 GB. Testing at 16 (generation): 31.6 GiB.
# Inherits its stage-1 config: the encoder (backbone, output channels), the data and the class list are stage 1's.
_base_ = [
    '../stage1/ctrgcn-knowledge_200e_ntu120-xsub.py',
    '../../_base_/models/sugar_llama2_7b.py',
    '../../_base_/schedules/llm_1e.py',
]
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_ntu120-xsub.py'
model = dict(
    _delete_=True,
    type='SugarRecognizer',
    keep_temporal_resolution=_base_.model.keep_temporal_resolution,
    backbone=_base_.model.backbone,
    freeze_encoder=True,
    encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_ntu120-xsub/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(_base_.llama2_7b_head, in_channels=_base_.model.cls_head.in_channels,
                  class_names=_base_.model.cls_head.class_names, knowledge=_base_.model.cls_head.knowledge))
train_cfg = dict(_base_.llm_train_cfg, _delete_=True)
optim_wrapper = dict(_base_.llm_optim_wrapper, _delete_=True)
param_scheduler = _base_.llm_param_scheduler
auto_scale_lr = _base_.llm_auto_scale_lr
custom_hooks = []  # (stage 1 exports the encoder; stage 2 has nothing to export)
train_dataloader = dict(batch_size=16)  # x 8 GPUs = 128
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
val_evaluator = [dict(type='LLMRecognitionMetric')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='llm/top1', rule='greater'),
                     logger=dict(interval=20))
