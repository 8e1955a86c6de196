# PKU-MMD v1, cross-subject, 3D joints (Kinect v2, 25 joints as NTU; tools/data/pku_mmd.py).
_base_ = ['./ntu60_xsub.py']
ann_file = 'data/skeleton/pku_mmd_3d.pkl'
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='pku_mmd', split='xsub_train'))
val_dataloader = dict(dataset=dict(ann_file=ann_file, classes='pku_mmd', split='xsub_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='pku_mmd', split='xsub_val'))
