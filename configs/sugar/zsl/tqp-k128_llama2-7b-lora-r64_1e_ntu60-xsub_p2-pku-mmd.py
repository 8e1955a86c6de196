# The paper's protocol P2: SUGAR trained on NTU-60 X-Sub
# (configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py), tested on PKU-MMD X-Sub with PKU-MMD's 51
# class names in the prompt, top-1 and top-5 (a test config):
#   bash tools/dist_test.sh configs/sugar/zsl/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub_p2-pku-mmd.py \
#       work_dirs/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub/epoch_1.pth 8
_base_ = ['../stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py']
model = dict(cls_head=dict(class_names='pku_mmd', knowledge='pku_mmd'))
test_dataloader = dict(dataset=dict(ann_file='data/skeleton/pku_mmd_3d.pkl', classes='pku_mmd', split='xsub_val'))
test_evaluator = [dict(type='ZeroShotMetric', unseen='pku_mmd'), dict(type='LLMRecognitionMetric')]
