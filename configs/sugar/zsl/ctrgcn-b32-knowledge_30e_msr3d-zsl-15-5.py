# Zero-shot protocol on MSR Action3D (runs on CPU): stage 1 trained on the 15 seen classes of the split
# (X-Sub training subjects). Evaluate on the 5 unseen classes without retraining:
#   python tools/test.py configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py CKPT \
#       --classes zsl:msr_action3d_15_5:unseen  # ZSL (zsl:msr_action3d_15_5:all: GZSL)
# Every zero-shot config is its stage's X-Sub config restricted to the seen classes of `zsl_split` (the splits:
# sugar_mm/datasets/meta/zsl_splits.json); only `zsl_split` differs between the configs of one stage and dataset.
_base_ = ['../stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py']
zsl_split = 'zsl:msr_action3d_15_5'
model = dict(cls_head=dict(class_names=f'{zsl_split}:seen'))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dict(class_subset=f'{zsl_split}:seen'))
test_evaluator = [dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen')]
