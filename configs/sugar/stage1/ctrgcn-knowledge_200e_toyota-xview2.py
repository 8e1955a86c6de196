# SUGAR stage 1 on Toyota Smarthome X-View2: X-View1's 19 cross-view classes, the other cameras
# (see ctrgcn-knowledge_200e_toyota-xview1.py).
_base_ = ['./ctrgcn-knowledge_200e_toyota-xview1.py']
train_dataloader = dict(dataset=dict(split='xview2_train'))
val_dataloader = test_dataloader = dict(dataset=dict(split='xview2_val'))
