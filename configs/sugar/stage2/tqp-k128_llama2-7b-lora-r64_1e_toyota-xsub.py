# SUGAR stage 2 on Toyota Smarthome (toyota_xsub), paper scale (see tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py);
# metric: mean per-class accuracy (llm/mean1). Inherits its stage-1 config: the 13-joint encoder, data, classes.
_base_ = [
    '../stage1/ctrgcn-knowledge_200e_toyota-xsub.py',
    '../../_base_/models/sugar_llama2_7b.py',
    '../../_base_/schedules/llm_1e.py',
]
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_toyota-xsub.py'
model = dict(
    _delete_=True,
    type='SugarRecognizer',
    keep_temporal_resolution=_base_.model.keep_temporal_resolution,
    backbone=_base_.model.backbone,
    freeze_encoder=True,
    encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_toyota-xsub/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(_base_.llama2_7b_head, in_channels=_base_.model.cls_head.in_channels,
                  class_names=_base_.model.cls_head.class_names, knowledge=_base_.model.cls_head.knowledge))
train_cfg = dict(_base_.llm_train_cfg, _delete_=True)
optim_wrapper = dict(_base_.llm_optim_wrapper, _delete_=True)
param_scheduler = _base_.llm_param_scheduler
auto_scale_lr = _base_.llm_auto_scale_lr
custom_hooks = []
train_dataloader = dict(batch_size=16)
val_dataloader = test_dataloader = dict(batch_size=16)
val_evaluator = [dict(type='LLMRecognitionMetric')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='llm/mean1', rule='greater'),
                     logger=dict(interval=20))
