# SUGAR stage 1 on NTU RGB+D 60 X-View (see ctrgcn-knowledge_200e_ntu60-xsub.py).
_base_ = ['./ctrgcn-knowledge_200e_ntu60-xsub.py']
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview_val'))
