# SUGAR stage 1 on MSR Action3D X-Sub (ctrgcn-b32-knowledge_30e_msr3d-xsub.py) with stronger augmentation for its
# 284 training sequences: half of them mirrored through the sagittal plane (RandomMirror3D: x negated, left and
# right joints swapped, after the pre-normalisation that puts the shoulders on the x axis). MSR's subjects act with
# their right arm or leg; no MSR class names a side.
_base_ = ['../stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py']

train_pipeline = [
    _base_.msr_prenorm,
    dict(type='RandomRotateScale3D', max_angle=15, scale=(0.9, 1.1)),
    dict(type='RandomMirror3D', layout=_base_.msr_layout, prob=0.5),
] + _base_.msr_train_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
