# SUGAR stage 1, paper scale, on Toyota Smarthome (toyota_xsub): CTR-GCN (13-joint LCR-Net layout) + CLIP text,
# SGD lr 0.01, 200 epochs, batch 100 (the paper's Toyota batch). The paper reports mean per-class accuracy.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/toyota_xsub.py',
    '../../_base_/schedules/sgd_200e.py',
    '../../_base_/models/stage1_ctrgcn_ntu.py',
]
model = dict(
    backbone=dict(graph_cfg=dict(layout='toyota_13'), num_person=1),
    cls_head=dict(knowledge='toyota', class_names='toyota'))
custom_hooks = [dict(type='ExportEncoderHook', source='last')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='acc/mean1', rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=100)
