# SUGAR stage 1 on PKU-MMD X-View (see stage1_ctrgcn_pku_mmd_xsub.py).
_base_ = ['./stage1_ctrgcn_pku_mmd_xsub.py']
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = dict(dataset=dict(split='xview_val'))
