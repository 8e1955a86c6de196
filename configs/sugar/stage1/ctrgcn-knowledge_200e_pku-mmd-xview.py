# SUGAR stage 1 on PKU-MMD X-View (see ctrgcn-knowledge_200e_pku-mmd-xsub.py).
_base_ = ['./ctrgcn-knowledge_200e_pku-mmd-xsub.py']
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview_val'))
