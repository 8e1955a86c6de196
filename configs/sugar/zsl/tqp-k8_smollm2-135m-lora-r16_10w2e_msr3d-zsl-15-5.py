# Zero-shot protocol on MSR Action3D, stage 2: the LLM recognizer trained on the 15 seen classes (its action list
# holds only them), then asked about classes it never saw by putting new names into the prompt:
#   python tools/train.py configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py
#   python tools/train.py configs/sugar/zsl/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py
#   python tools/test.py configs/sugar/zsl/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-zsl-15-5.py CKPT \
#       --classes zsl:msr_action3d_15_5:unseen  # ZSL (zsl:msr_action3d_15_5:all: GZSL)
_base_ = ['../stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']  # TQP k=8 with the bridge warm-up
zsl_split = 'zsl:msr_action3d_15_5'
stage1_config = 'configs/sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5/encoder.pth',
             encoder_checkpoint_hint=f'python tools/train.py {stage1_config}',
             # the unseen names never appear as training distractors
             cls_head=dict(class_names=f'{zsl_split}:seen', train_lists=dict(exclude=f'{zsl_split}:all')))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dict(class_subset=f'{zsl_split}:seen'))
test_evaluator = [
    dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen'),
    dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen', use_text=True, prefix='zsl_text'),
    dict(type='LLMRecognitionMetric'),
]
