# SUGAR stage 2 on the seen classes of the zero-shot split ntu120_96_24 (paper scale; see sugar_ntu120.py).
#   bash tools/dist_train.sh configs/sugar/zsl/stage1_ctrgcn_ntu120_96_24.py 8
#   bash tools/dist_train.sh configs/zsl_sugar_ntu120_96_24.py 8
#   bash tools/dist_test.sh configs/zsl_sugar_ntu120_96_24.py CKPT 8 --classes zsl:ntu120_96_24:unseen
_base_ = ['./sugar_ntu120.py']
seen = 'zsl:ntu120_96_24:seen'
stage1_config = 'configs/sugar/zsl/stage1_ctrgcn_ntu120_96_24.py'
model = dict(
    encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu120_96_24/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
test_evaluator = [
    dict(type='ZeroShotMetric', unseen='zsl:ntu120_96_24:unseen'),
    dict(type='ZeroShotMetric', unseen='zsl:ntu120_96_24:unseen', use_text=True, prefix='zsl_text'),
]
