# Toyota Smarthome (trimmed), cross-subject, 3D LCR-Net++ poses (13 joints; tools/data/toyota.py), 31 classes.
# The paper reports mean per-class accuracy (acc/mean1 / llm/mean1) and uses batch 100 in stage 1.
dataset_type = 'SkeletonDataset'
ann_file = 'data/skeleton/toyota_3d.pkl'
layout = 'toyota_13'
clip_len = 64
meta_keys = ('frame_dir', 'sample_idx')
# no spine joint in LCR-Net's 13: right hip -> right shoulder is the vertical axis; the origin is the head
prenorm = dict(type='FastPreNormalize3D', zaxis=[4, 10], xaxis=[10, 11])  # = mmaction's PreNormalize3D, vectorised
train_pipeline = [
    prenorm,
    dict(type='GenSkeFeat', dataset=layout, feats=['j']),
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
val_pipeline = [
    prenorm,
    dict(type='GenSkeFeat', dataset=layout, feats=['j']),
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = val_pipeline
_common = dict(type=dataset_type, ann_file=ann_file, classes='toyota', num_joints=13, num_coords=3)
train_dataloader = dict(batch_size=13, num_workers=4, persistent_workers=True,  # x 8 GPUs ~ the paper's 100
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(_common, pipeline=train_pipeline, split='xsub_train'))
val_dataloader = dict(batch_size=32, num_workers=4, persistent_workers=True,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(_common, pipeline=val_pipeline, split='xsub_val', test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))]
test_evaluator = val_evaluator
