# SUGAR on NTU RGB+D 120 X-Set (see sugar_ntu120.py).
_base_ = ['./sugar_ntu120.py']
stage1_config = 'configs/sugar/stage1_ctrgcn_ntu120_xset.py'
model = dict(encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu120_xset/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8')
train_dataloader = dict(dataset=dict(split='xset_train'))
val_dataloader = dict(dataset=dict(split='xset_val'))
test_dataloader = dict(dataset=dict(split='xset_val'))
