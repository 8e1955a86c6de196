# The main job's stage 2 on MSR Action3D X-Sub (real data, CPU): the recipe of
# tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py (frozen stage-1 encoder, SmolLM2-135M-Instruct + LoRA r16,
# list-conditioned training, 10 bridge warm-up + 2 LLM epochs) with a linear bridge instead of the paper's TQP:
# every encoder time step becomes one LLM token (L_s = 32). On 284 training sequences the from-scratch TQP is the
# largest loss of the chain; with the linear bridge the LLM reads higher on every seed (docs/results.md).
#   python tools/train.py configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py --no-validate
#   python tools/test.py  configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py \
#       work_dirs/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub/epoch_12.pth
_base_ = ['./tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']
model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
# (the TQP's 3x learning rate is for a from-scratch transformer; the linear bridge trains at the LoRA rate)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
