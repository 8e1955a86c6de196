# SUGAR on NTU RGB+D 60 X-View (see sugar_ntu120.py).
_base_ = ['./sugar_ntu60_xsub.py']
stage1_config = 'configs/sugar/stage1_ctrgcn_ntu60_xview.py'
model = dict(encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu60_xview/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8')
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = dict(dataset=dict(split='xview_val'))
