# SUGAR stage 2 on the seen classes of the zero-shot split ntu60_48_12 (paper scale; see
# ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py):
#   bash tools/dist_train.sh configs/sugar/zsl/ctrgcn-knowledge_200e_ntu60-zsl-48-12.py 8
#   bash tools/dist_train.sh configs/sugar/zsl/tqp-k128_llama2-7b-lora-r64_1e_ntu60-zsl-48-12.py 8
#   bash tools/dist_test.sh configs/sugar/zsl/tqp-k128_llama2-7b-lora-r64_1e_ntu60-zsl-48-12.py CKPT 8 \
#       --classes zsl:ntu60_48_12:unseen
_base_ = ['../stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py']
stage1_config = 'configs/sugar/zsl/ctrgcn-knowledge_200e_ntu60-zsl-48-12.py'
zsl_split = 'zsl:ntu60_48_12'
model = dict(encoder_checkpoint='work_dirs/ctrgcn-knowledge_200e_ntu60-zsl-48-12/encoder.pth',
             encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
             # the unseen names never appear as training distractors
             cls_head=dict(class_names=f'{zsl_split}:seen', train_lists=dict(exclude=f'{zsl_split}:all')))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dict(class_subset=f'{zsl_split}:seen'))
test_evaluator = [dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen'),
                  dict(type='ZeroShotMetric', unseen=f'{zsl_split}:unseen', use_text=True, prefix='zsl_text')]
