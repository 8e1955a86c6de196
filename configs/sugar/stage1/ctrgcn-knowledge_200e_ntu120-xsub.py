# SUGAR stage 1 on NTU RGB+D 120 X-Sub (see ctrgcn-knowledge_200e_ntu60-xsub.py).
#   bash tools/dist_train.sh configs/sugar/stage1/ctrgcn-knowledge_200e_ntu120-xsub.py 8
_base_ = ['./ctrgcn-knowledge_200e_ntu60-xsub.py']
ann_file = 'data/skeleton/ntu120_3d.pkl'
model = dict(cls_head=dict(knowledge='ntu120', class_names='ntu120'))
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_train'))
val_dataloader = test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu120', split='xsub_val'))
