# SUGAR stage 2 on the seen classes of the zero-shot split ntu60_55_5 (paper scale; see sugar_ntu120.py).
#   bash tools/dist_train.sh configs/sugar/zsl/stage1_ctrgcn_ntu60_55_5.py 8
#   bash tools/dist_train.sh configs/zsl_sugar_ntu60_55_5.py 8
#   bash tools/dist_test.sh configs/zsl_sugar_ntu60_55_5.py CKPT 8 --classes zsl:ntu60_55_5:unseen
_base_ = ['./sugar_ntu60_xsub.py']
seen = 'zsl:ntu60_55_5:seen'
stage1_config = 'configs/sugar/zsl/stage1_ctrgcn_ntu60_55_5.py'
model = dict(
    encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu60_55_5/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
test_evaluator = [
    dict(type='ZeroShotMetric', unseen='zsl:ntu60_55_5:unseen'),
    dict(type='ZeroShotMetric', unseen='zsl:ntu60_55_5:unseen', use_text=True, prefix='zsl_text'),
]
