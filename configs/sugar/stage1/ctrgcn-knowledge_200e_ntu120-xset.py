# SUGAR stage 1 on NTU RGB+D 120 X-Set (see ctrgcn-knowledge_200e_ntu60-xsub.py).
_base_ = ['./ctrgcn-knowledge_200e_ntu120-xsub.py']
train_dataloader = dict(dataset=dict(split='xset_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xset_val'))
