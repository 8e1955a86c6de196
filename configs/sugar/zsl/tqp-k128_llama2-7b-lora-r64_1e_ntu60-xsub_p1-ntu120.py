# The paper's protocol P1: SUGAR trained on NTU-60 X-Sub
# (configs/sugar/stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py), tested on 10 NTU-120 classes NTU-60 lacks
# (zsl:ntu60_to_ntu120_p1:unseen, our fixed choice, see zsl_splits.json)
# using the X-Sub test sequences of NTU-120, top-1 and top-5 (a test config: train the NTU-60 X-Sub one):
#   bash tools/dist_test.sh configs/sugar/zsl/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub_p1-ntu120.py \
#       work_dirs/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub/epoch_1.pth 8
_base_ = ['../stage2/tqp-k128_llama2-7b-lora-r64_1e_ntu60-xsub.py']
p1 = 'zsl:ntu60_to_ntu120_p1:unseen'
model = dict(cls_head=dict(class_names=p1, knowledge='ntu120'))
test_dataloader = dict(dataset=dict(ann_file='data/skeleton/ntu120_3d.pkl', classes='ntu120', split='xsub_val',
                                    class_subset=p1))
test_evaluator = [dict(type='ZeroShotMetric', unseen=p1), dict(type='LLMRecognitionMetric')]
