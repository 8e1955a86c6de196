# Zero-shot protocol on MSR Action3D (runs on CPU): stage 1 trained on the 15 seen classes of
# zsl:msr_action3d_15_5 (X-Sub training subjects). Evaluate on the 5 unseen classes without retraining:
#   python tools/test.py configs/sugar/zsl/stage1_ctrgcn_msr3d_15_5.py CKPT --classes zsl:msr_action3d_15_5:unseen  # ZSL
#   python tools/test.py configs/sugar/zsl/stage1_ctrgcn_msr3d_15_5.py CKPT --classes zsl:msr_action3d_15_5:all     # GZSL
_base_ = ['../stage1_ctrgcn_msr3d_xsub.py']
seen = 'zsl:msr_action3d_15_5:seen'
model = dict(cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
zsl_evaluator = [dict(type='ZeroShotMetric', unseen='zsl:msr_action3d_15_5:unseen')]
test_evaluator = zsl_evaluator
