# MSR Action3D, standard cross-subject protocol (557 sequences: subjects 1,3,5,7,9 train / 2,4,6,8,10 test).
# Prepare with: python tools/data/msr_action3d.py ../shared/data/msr_action3d data/msr_action3d/msr_action3d.pkl
#
# Variables are prefixed with `msr_` so that a config can inherit this file next to an mmaction config
# (mmengine forbids duplicate keys among bases) and pick them up as `train_dataloader = _base_.msr_train_...`.
msr_dataset_type = 'SkeletonDataset'
msr_ann_file = 'data/msr_action3d/msr_action3d.pkl'
msr_layout = 'kinect_v1'  # sugar_mm.datasets.layouts.KINECT_V1 (20 joints, Vemulapalli's order)
msr_classes = 'msr_action3d'  # shipped label map
msr_clip_len = 32  # sequences have 13..76 frames (median 39)
msr_num_joints = 20

# PreNormalize3D's defaults are NTU's axis joints; Kinect v1: spine = hip centre (6) -> spine (3),
# shoulders = right (1) -> left (0).
msr_prenorm = dict(type='FastPreNormalize3D', zaxis=[6, 3], xaxis=[1, 0])  # = mmaction's, vectorised
msr_meta_keys = ('frame_dir', 'sample_idx')
msr_train_pipeline = [
    msr_prenorm,
    dict(type='RandomRotateScale3D', max_angle=15, scale=(0.9, 1.1)),  # sugar_mm's 3D augmentation
    dict(type='GenSkeFeat', dataset=msr_layout, feats=['j']),
    dict(type='UniformSampleFrames', clip_len=msr_clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=msr_meta_keys),
]
msr_val_pipeline = [
    msr_prenorm,
    dict(type='GenSkeFeat', dataset=msr_layout, feats=['j']),
    dict(type='UniformSampleFrames', clip_len=msr_clip_len, num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=msr_meta_keys),
]
msr_test_pipeline = [
    msr_prenorm,
    dict(type='GenSkeFeat', dataset=msr_layout, feats=['j']),
    dict(type='UniformSampleFrames', clip_len=msr_clip_len, num_clips=5, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=msr_meta_keys),
]
_msr_common = dict(type=msr_dataset_type, ann_file=msr_ann_file, classes=msr_classes,
                   num_joints=msr_num_joints, num_coords=3)
msr_train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_msr_common, pipeline=msr_train_pipeline, split='xsub_train'))
msr_val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_msr_common, pipeline=msr_val_pipeline, split='xsub_val', test_mode=True))
msr_test_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_msr_common, pipeline=msr_test_pipeline, split='xsub_val', test_mode=True))
msr_val_evaluator = [dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))]
