# NTU RGB+D 60, cross-subject, 3D joints (the pickle of tools/data/ntu_rgbd.py, mmaction's ntu60_3d.pkl layout).
# clip_len=40 with the encoder's temporal down-sampling removed and 25 joints gives the paper's L_s = 40 * 25 = 1000
# time-joint tokens (Fig. 4).
dataset_type = 'SkeletonDataset'
ann_file = 'data/skeleton/ntu60_3d.pkl'
classes = 'ntu60'
clip_len = 40
meta_keys = ('frame_dir', 'sample_idx')
train_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = val_pipeline
_common = dict(type=dataset_type, ann_file=ann_file, classes=classes, num_joints=25, num_coords=3)
train_dataloader = dict(
    batch_size=25,  # x 8 GPUs = the paper's batch 200
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_common, pipeline=train_pipeline, split='xsub_train'))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_common, pipeline=val_pipeline, split='xsub_val', test_mode=True))
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_common, pipeline=test_pipeline, split='xsub_val', test_mode=True))
val_evaluator = [dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))]
test_evaluator = val_evaluator
