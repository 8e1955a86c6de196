# SynSE-style zero-shot split ntu60_48_12, stage 1 on its seen classes
# (see ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py).
# Evaluate: tools/test.py THIS CKPT --classes zsl:ntu60_48_12:unseen (ZSL) or zsl:ntu60_48_12:all (GZSL).
_base_ = ['../stage1/ctrgcn-knowledge_200e_ntu60-xsub.py']
zsl_split = 'zsl:ntu60_48_12'
model = dict(cls_head=dict(class_names=f'{zsl_split}:seen'))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dict(class_subset=f'{zsl_split}:seen'))
test_evaluator = [dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen')]
