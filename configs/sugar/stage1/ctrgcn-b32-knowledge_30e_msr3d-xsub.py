# SUGAR stage 1 on MSR Action3D X-Sub (real data, CPU): CTR-GCN at base width 32 without temporal down-sampling,
# trained 30 epochs with the multi-positive MIL-NCE loss against the MSR Action3D knowledge (motion + visual),
# MiniLM text bank.
#   python tools/train.py configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/msr_action3d_xsub.py',
    '../../_base_/schedules/msr_cpu.py',
    '../../_base_/models/text_encoders.py',
]

model = dict(
    type='SugarRecognizer',
    keep_temporal_resolution=True,  # SUGAR: the encoder outputs the whole time series
    # CPU scale: CTR-GCN at half width (base 32 -> 128 output channels); without temporal down-sampling the full
    # width costs ~2x the time of mmaction's CTR-GCN baseline (see README, "Performance")
    backbone=dict(type='CTRGCN', graph_cfg=dict(layout='kinect_v1', mode='spatial'), num_person=1,
                  base_channels=32),
    cls_head=dict(
        type='KnowledgeContrastHead',
        in_channels=128,
        text_encoder=_base_.minilm_text_encoder,
        knowledge='msr_action3d',
        class_names='msr_action3d',
        knowledge_types=('motion', 'visual'),
        num_visual_samples=2,
        temperature=0.07,
        learnable_temperature=True,
        dropout=0.1))

train_dataloader = _base_.msr_train_dataloader
val_dataloader = _base_.msr_val_dataloader
test_dataloader = _base_.msr_test_dataloader
val_evaluator = _base_.msr_val_evaluator
test_evaluator = _base_.msr_val_evaluator
train_cfg = _base_.msr_train_cfg
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = _base_.msr_param_scheduler
optim_wrapper = _base_.msr_optim_wrapper
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='auto'))
# writes work_dirs/ctrgcn-b32-knowledge_30e_msr3d-xsub/encoder.pth, which stage 2 loads (the main job's
# configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py, the paper's TQP in tqp-k8_...)
custom_hooks = [dict(type='ExportEncoderHook', source='last')]
auto_scale_lr = dict(enable=False, base_batch_size=16)
