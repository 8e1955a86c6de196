# Bridge ablation (paper Table 4) on MSR Action3D X-Sub, stage 2: one Q-Former over the whole sequence, k queries.
# The TQP row is configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py.
_base_ = ['../stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']
model = dict(cls_head=dict(bridge=dict(type='qformer')))
