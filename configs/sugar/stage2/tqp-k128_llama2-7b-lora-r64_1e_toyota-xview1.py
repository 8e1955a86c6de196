# SUGAR stage 2 on Toyota Smarthome X-View1 (the 19 cross-view classes), paper scale (see
# tqp-k128_llama2-7b-lora-r64_1e_toyota-xsub.py).
_base_ = ['./tqp-k128_llama2-7b-lora-r64_1e_toyota-xsub.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_toyota-xview1.py'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_toyota-xview1/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             cls_head=dict(class_names='toyota_xview'))
train_dataloader = dict(dataset=dict(split='xview1_train', class_subset='toyota_xview'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview1_val', class_subset='toyota_xview'))
