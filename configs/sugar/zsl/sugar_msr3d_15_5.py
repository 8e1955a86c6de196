# Zero-shot protocol on MSR Action3D, stage 2: the LLM recognizer trained on the 15 seen classes (its action list
# holds only them), then asked about classes it never saw by putting new names into the prompt:
#   python tools/train.py configs/sugar/zsl/stage1_ctrgcn_msr3d_15_5.py
#   python tools/train.py configs/sugar/zsl/sugar_msr3d_15_5.py
#   python tools/test.py configs/sugar/zsl/sugar_msr3d_15_5.py CKPT --classes zsl:msr_action3d_15_5:unseen  # ZSL
#   python tools/test.py configs/sugar/zsl/sugar_msr3d_15_5.py CKPT --classes zsl:msr_action3d_15_5:all     # GZSL
_base_ = ['../sugar_msr3d_xsub.py']  # TQP k=8 with the bridge warm-up (see README, Results)
seen = 'zsl:msr_action3d_15_5:seen'
stage1_config = 'configs/sugar/zsl/stage1_ctrgcn_msr3d_15_5.py'
model = dict(
    encoder_checkpoint='work_dirs/stage1_ctrgcn_msr3d_15_5/encoder.pth',
    encoder_checkpoint_hint=f'python tools/train.py {stage1_config}',
    cls_head=dict(class_names=seen))
train_dataloader = dict(dataset=dict(class_subset=seen))
val_dataloader = dict(dataset=dict(class_subset=seen))
test_dataloader = dict(dataset=dict(class_subset=seen))
test_evaluator = [
    dict(type='ZeroShotMetric', unseen='zsl:msr_action3d_15_5:unseen'),
    dict(type='ZeroShotMetric', unseen='zsl:msr_action3d_15_5:unseen', use_text=True, prefix='zsl_text'),
    dict(type='LLMRecognitionMetric'),
]
