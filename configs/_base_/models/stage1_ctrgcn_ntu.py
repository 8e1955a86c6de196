# SUGAR stage-1 model at paper scale: CTR-GCN (joints, temporal down-sampling removed) + knowledge contrast with
# CLIP text embeddings of the NTU knowledge.
_base_ = ['./text_encoders.py']
model = dict(
    type='SugarRecognizer',
    keep_temporal_resolution=True,
    backbone=dict(type='CTRGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial'), num_person=2),
    cls_head=dict(
        type='KnowledgeContrastHead',
        in_channels=256,
        text_encoder=_base_.clip_text_encoder,
        knowledge='ntu60',
        class_names='ntu60',
        knowledge_types=('motion', 'visual'),
        num_visual_samples=2,
        temperature=0.07,
        learnable_temperature=True))
