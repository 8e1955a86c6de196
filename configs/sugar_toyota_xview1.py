# SUGAR stage 2 on Toyota Smarthome X-View1 (the 19 cross-view classes), paper scale (see sugar_toyota_xsub.py).
_base_ = ['./sugar_toyota_xsub.py']
stage1_config = 'configs/sugar/stage1_ctrgcn_toyota_xview1.py'
model = dict(encoder_checkpoint='work_dirs/stage1_ctrgcn_toyota_xview1/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             cls_head=dict(class_names='toyota_xview'))
train_dataloader = dict(dataset=dict(split='xview1_train', class_subset='toyota_xview'))
val_dataloader = dict(dataset=dict(split='xview1_val', class_subset='toyota_xview'))
test_dataloader = dict(dataset=dict(split='xview1_val', class_subset='toyota_xview'))
