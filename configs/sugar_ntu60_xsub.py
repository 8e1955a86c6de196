# SUGAR on NTU RGB+D 60 X-Sub (see sugar_ntu120.py).
_base_ = ['./sugar_ntu120.py']
stage1_config = 'configs/sugar/stage1_ctrgcn_ntu60_xsub.py'
ann_file = 'data/skeleton/ntu60_3d.pkl'
model = dict(encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu60_xsub/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             cls_head=dict(class_names='ntu60', knowledge='ntu60'))
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu60', split='xsub_train'))
val_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu60', split='xsub_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu60', split='xsub_val'))
