# SUGAR stage 2 on PKU-MMD X-View, paper scale (see sugar_pku_mmd_xsub.py).
_base_ = ['./sugar_pku_mmd_xsub.py']
stage1_config = 'configs/sugar/stage1_ctrgcn_pku_mmd_xview.py'
model = dict(encoder_checkpoint='work_dirs/stage1_ctrgcn_pku_mmd_xview/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8')
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = dict(dataset=dict(split='xview_val'))
