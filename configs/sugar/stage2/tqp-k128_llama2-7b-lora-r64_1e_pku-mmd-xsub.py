# SUGAR stage 2 on PKU-MMD X-Sub, paper scale (see tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py): PKU-MMD has NTU's
# 25-joint Kinect v2 layout, so its stage-1 encoder is the NTU one; only the data and the class list differ.
_base_ = ['./tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py']
stage1_config = 'configs/sugar/stage1/ctrgcn-knowledge_200e_pku-mmd-xsub.py'
ann_file = 'data/skeleton/pku_mmd_3d.pkl'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_pku-mmd-xsub/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             cls_head=dict(class_names='pku_mmd', knowledge='pku_mmd'))
train_dataloader = dict(dataset=dict(ann_file=ann_file, classes='pku_mmd', split='xsub_train'))
val_dataloader = test_dataloader = dict(dataset=dict(ann_file=ann_file, classes='pku_mmd', split='xsub_val'))
