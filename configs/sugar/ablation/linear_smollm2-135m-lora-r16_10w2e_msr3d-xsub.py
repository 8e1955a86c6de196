# Bridge ablation (paper Table 4) on MSR Action3D X-Sub, stage 2: one linear layer, every time step a token (L_s = 32
# tokens). Same recipe as the TQP row (configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py:
# bridge warm-up on the alignment loss, then 2 LLM epochs), except the learning rate of the bridge (no 3x multiplier).
_base_ = ['../stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']
model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
