# SUGAR stage 1 on Toyota Smarthome X-View2 (the 19 cross-view classes; see stage1_ctrgcn_toyota_xsub.py).
_base_ = ['./stage1_ctrgcn_toyota_xsub.py']
model = dict(cls_head=dict(class_names='toyota_xview'))
train_dataloader = dict(dataset=dict(split='xview2_train', class_subset='toyota_xview'))
val_dataloader = dict(dataset=dict(split='xview2_val', class_subset='toyota_xview'))
test_dataloader = dict(dataset=dict(split='xview2_val', class_subset='toyota_xview'))
