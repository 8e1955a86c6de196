# SUGAR stage 2 on NTU RGB+D 60 X-Sub (see tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py).
_base_ = ['./tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_ntu60-xsub.py'
ann_file = 'data/skeleton/ntu60_3d.pkl'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_ntu60-xsub/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             # its checkpoint is also tested on NTU-120's new classes and on PKU-MMD (configs/sugar/zsl/*_p1-*, *_p2-*):
             # their names never appear as training distractors
             cls_head=dict(class_names='ntu60', knowledge='ntu60',
                           train_lists=dict(exclude=['ntu120', 'pku_mmd'])))
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu60', split='xsub_train'))
val_dataloader = test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='ntu60', split='xsub_val'))
