# SUGAR stage 2 on discrete action tokens: the main job's stage 2 (tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py)
# on the frozen encoder + VQ neck of configs/sugar/stage1/ctrgcn-b32-vq512-knowledge_30e_msr3d-xsub.py: the TQP
# reads the 512-code quantised time series instead of the continuous one.
_base_ = ['./tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py', '../../_base_/models/vq_necks.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-b32-vq512-knowledge_30e_msr3d-xsub.py'

model = dict(neck=_base_.msr_vq512_neck,
             encoder_checkpoint='work_dirs/ctrgcn-b32-vq512-knowledge_30e_msr3d-xsub/encoder.pth',
             encoder_checkpoint_hint=f'python tools/train.py {stage1_config}')
