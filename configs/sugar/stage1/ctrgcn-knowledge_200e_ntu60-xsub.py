# SUGAR stage 1, paper scale: NTU RGB+D 60 X-Sub, CTR-GCN + CLIP text, SGD lr 0.01, 200 epochs, batch 200.
#   bash tools/dist_train.sh configs/sugar/stage1/ctrgcn-knowledge_200e_ntu60-xsub.py 8
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/ntu60_xsub.py',
    '../../_base_/schedules/sgd_200e.py',
    '../../_base_/models/stage1_ctrgcn_ntu.py',
]
# writes work_dirs/ctrgcn-knowledge_200e_ntu60-xsub/encoder.pth for stage 2
# (configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py)
custom_hooks = [dict(type='ExportEncoderHook', source='last')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
