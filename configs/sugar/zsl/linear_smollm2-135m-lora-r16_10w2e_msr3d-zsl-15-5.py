# Zero-shot protocol on MSR Action3D, stage 2 with the main job's bridge: tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-
# zsl-15-5.py (trained on the 15 seen classes, asked about the 5 unseen ones by their names in the prompt) with a
# linear bridge instead of the TQP, as configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py.
#   python tools/train.py configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py
#   python tools/train.py configs/sugar/zsl/linear_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py
#   python tools/test.py configs/sugar/zsl/linear_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py CKPT \
#       --classes zsl:msr_action3d_15_5:unseen  # ZSL (zsl:msr_action3d_15_5:all: GZSL)
_base_ = ['./tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py']
model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
