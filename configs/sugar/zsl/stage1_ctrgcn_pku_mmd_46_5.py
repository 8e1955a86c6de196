# SynSE-style zero-shot split pku_mmd_46_5 (unseen classes: sugar_mm/datasets/meta/zsl_splits.json): stage 1 on the
# seen classes. Evaluate: tools/test.py THIS CKPT --classes zsl:pku_mmd_46_5:unseen (ZSL) or zsl:pku_mmd_46_5:all (GZSL).
_base_ = ['../stage1_ctrgcn_pku_mmd_xsub.py']
seen = 'zsl:pku_mmd_46_5:seen'
model = dict(cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
test_evaluator = [dict(type='ZeroShotMetric', unseen='zsl:pku_mmd_46_5:unseen')]
