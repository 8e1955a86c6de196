# The quick main job's stage 2 (tools/main_job.py --quick): linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py with a
# 5-epoch bridge warm-up instead of 10, on the 15-epoch stage-1 encoder (same architecture): the quick TQP config
# with the main job's linear bridge.
#   python tools/train.py configs/sugar/stage2/linear_smollm2-135m-lora-r16_5w2e_msr3d-xsub.py --no-validate
_base_ = ['./tqp-k8_smollm2-135m-lora-r16_5w2e_msr3d-xsub.py']
model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
