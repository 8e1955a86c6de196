# The quick main job's stage 2 (tools/main_job.py --quick): linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py with a
# 5-epoch bridge warm-up instead of 10, on the 15-epoch stage-1 encoder (same architecture).
#   python tools/train.py configs/sugar/stage2/linear_smollm2-135m-lora-r16_5w2e_msr3d-xsub.py --no-validate
_base_ = ['./linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-b32-knowledge_15e_msr3d-xsub.py'
stage1_checkpoint = 'work_dirs/ctrgcn-b32-knowledge_15e_msr3d-xsub/encoder.pth'

model = dict(encoder_checkpoint=stage1_checkpoint,
             encoder_checkpoint_hint=f'python tools/train.py {stage1_config}')

bridge_warmup_epochs = 5
llm_epochs = 2
max_epochs = bridge_warmup_epochs + llm_epochs
custom_hooks = [dict(type='BridgeWarmupHook', epochs=bridge_warmup_epochs)]
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=llm_epochs, by_epoch=True, begin=bridge_warmup_epochs,
         end=max_epochs, convert_to_iter_based=True),
]
