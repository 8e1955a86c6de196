# SUGAR on NTU RGB+D 120 X-Sub at paper scale (8 GPUs), under the name the design card gives it: the same config as
# configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py (TQP k=128 + LLaMA2-7B + LoRA r=64, 1 epoch).
#   bash tools/dist_train.sh configs/sugar/stage1/ctrgcn-knowledge_200e_ntu120-xsub.py 8   # stage 1 -> encoder.pth
#   bash tools/dist_train.sh configs/sugar_ntu120.py 8                                       # stage 2 (this file)
#   bash tools/dist_test.sh configs/sugar_ntu120.py work_dirs/sugar_ntu120/epoch_1.pth 8
_base_ = ['./sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu120-xsub.py']
