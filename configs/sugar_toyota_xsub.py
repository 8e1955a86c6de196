# SUGAR stage 2 on Toyota Smarthome (toyota_xsub), paper scale (see sugar_ntu120.py); metric: mean per-class accuracy
# (llm/mean1).
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/toyota_xsub.py',
    './_base_/schedules/llm_1e.py',
    './_base_/models/sugar_llama2_7b.py',
]
stage1_config = 'configs/sugar/stage1_ctrgcn_toyota_xsub.py'
model = dict(
    backbone=dict(graph_cfg=dict(layout='toyota_13'), num_person=1),
    encoder_checkpoint='work_dirs/stage1_ctrgcn_toyota_xsub/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(class_names='toyota', knowledge='toyota',
                  token_layout='time_joint'))
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
val_evaluator = [dict(type='LLMRecognitionMetric')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, save_best='llm/mean1', rule='greater'), logger=dict(interval=20))
