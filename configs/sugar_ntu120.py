# SUGAR on NTU RGB+D 120 X-Sub at paper scale (8 GPUs):
#   bash tools/dist_train.sh configs/sugar/stage1_ctrgcn_ntu120_xsub.py 8   # stage 1 -> encoder.pth
#   bash tools/dist_train.sh configs/sugar_ntu120.py 8                       # stage 2 (this file)
#   bash tools/dist_test.sh configs/sugar_ntu120.py work_dirs/sugar_ntu120/epoch_1.pth 8
# Needs data/skeleton/ntu120_3d.pkl (tools/data/ntu_rgbd.py) and LLaMA2-7B in data/models/Llama-2-7b-hf.
# Memory, measured on one H100 with the LLaMA2-7B architecture (tools/analysis/gpu_check.py, README "Performance"):
# weights 13.2 GiB; a training step at 16 per GPU with gradient checkpointing peaks at 21.2 GiB allocated (22.5
# reserved), 1.4 s; without checkpointing it does not fit in 80 GB. Testing at 16 (generation): 31.6 GiB.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/ntu120_xsub.py',
    './_base_/schedules/llm_1e.py',
    './_base_/models/sugar_llama2_7b.py',
]
stage1_config = 'configs/sugar/stage1_ctrgcn_ntu120_xsub.py'
model = dict(
    encoder_checkpoint='work_dirs/stage1_ctrgcn_ntu120_xsub/encoder.pth',
    encoder_checkpoint_hint=f'bash tools/dist_train.sh {stage1_config} 8',
    cls_head=dict(class_names='ntu120', knowledge='ntu120'))
train_dataloader = dict(batch_size=16)  # x 8 GPUs = 128
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
val_evaluator = [dict(type='LLMRecognitionMetric')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, save_best='llm/top1', rule='greater'), logger=dict(interval=20))
