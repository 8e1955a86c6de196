# SUGAR stage 2 on NTU RGB+D 120 X-Set (see tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py).
_base_ = ['./tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_ntu120-xset.py'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_ntu120-xset/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8')
train_dataloader = dict(dataset=dict(split='xset_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xset_val'))
