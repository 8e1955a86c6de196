# SUGAR stage 1 on Toyota Smarthome X-View1 (the 19 cross-view classes; see ctrgcn-knowledge_200e_toyota-xsub.py).
_base_ = ['./ctrgcn-knowledge_200e_toyota-xsub.py']
model = dict(cls_head=dict(class_names='toyota_xview'))
train_dataloader = dict(dataset=dict(split='xview1_train', class_subset='toyota_xview'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview1_val', class_subset='toyota_xview'))
