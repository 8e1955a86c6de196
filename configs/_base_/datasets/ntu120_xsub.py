_base_ = ['./ntu60_xsub.py']
ann_file = 'data/skeleton/ntu120_3d.pkl'
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_train'))
val_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_val'))
