# SynSE-style zero-shot split ntu60_48_12 (unseen classes: sugar_mm/datasets/meta/zsl_splits.json): stage 1 on the
# seen classes. Evaluate: tools/test.py THIS CKPT --classes zsl:ntu60_48_12:unseen (ZSL) or zsl:ntu60_48_12:all (GZSL).
_base_ = ['../stage1_ctrgcn_ntu60_xsub.py']
seen = 'zsl:ntu60_48_12:seen'
model = dict(cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
test_evaluator = [dict(type='ZeroShotMetric', unseen='zsl:ntu60_48_12:unseen')]
