# SUGAR stage 2 on Toyota Smarthome X-View2: X-View1's 19 cross-view classes, the other cameras (see
# tqp-k128_llama2-7b-lora-r64_1e_toyota-xview1.py).
_base_ = ['./tqp-k128_llama2-7b-lora-r64_1e_toyota-xview1.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_toyota-xview2.py'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_toyota-xview2/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8')
train_dataloader = dict(dataset=dict(split='xview2_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview2_val'))
