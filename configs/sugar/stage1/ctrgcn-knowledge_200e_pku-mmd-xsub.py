# SUGAR stage 1, paper scale, on PKU-MMD (pku_mmd_xsub): CTR-GCN + CLIP text, SGD lr 0.01, 200 epochs, batch 200.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/pku_mmd_xsub.py',
    '../../_base_/schedules/sgd_200e.py',
    '../../_base_/models/stage1_ctrgcn_ntu.py',
]
model = dict(cls_head=dict(knowledge='pku_mmd', class_names='pku_mmd'))
custom_hooks = [dict(type='ExportEncoderHook', source='last')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
