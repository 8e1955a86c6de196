_base_ = ['./stage1_ctrgcn_ntu60_xsub.py']
ann_file = 'data/skeleton/ntu120_3d.pkl'
model = dict(cls_head=dict(knowledge='ntu120', class_names='ntu120'))
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_train'))
val_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_val'))
