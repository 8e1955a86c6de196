# Ablation on MSR Action3D X-Sub, stage 2: the TQP trained as the paper trains it, from the answer loss alone --
# no alignment loss, no bridge warm-up -- for the same 2 LLM epochs as
# configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py.
_base_ = ['../stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']
model = dict(cls_head=dict(loss_align=None))
custom_hooks = []
train_cfg = dict(max_epochs=2, val_begin=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=2, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
]
