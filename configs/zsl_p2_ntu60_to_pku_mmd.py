# The paper's protocol P2: SUGAR trained on NTU-60 X-Sub (configs/sugar_ntu60_xsub.py), tested on PKU-MMD X-Sub
# with PKU-MMD's 51 class names in the prompt, top-1 and top-5:
#   bash tools/dist_test.sh configs/zsl_p2_ntu60_to_pku_mmd.py work_dirs/sugar_ntu60_xsub/epoch_1.pth 8
_base_ = ['./sugar_ntu60_xsub.py']
model = dict(cls_head=dict(class_names='pku_mmd', knowledge='pku_mmd'))
test_dataloader = dict(dataset=dict(ann_file='data/skeleton/pku_mmd_3d.pkl', classes='pku_mmd', split='xsub_val'))
test_evaluator = [dict(type='ZeroShotMetric', unseen='pku_mmd'), dict(type='LLMRecognitionMetric')]
