# mmaction's own ST-GCN (joint stream) on MSR Action3D X-Sub, trained on CPU through sugar_mm's tools.
# Inherits mmaction's NTU-60 config and changes only what MSR needs: graph layout, 1 person, 20 classes,
# the dataset, and a CPU-sized schedule. This is the linear baseline SUGAR has to beat.
_base_ = [
    'mmaction::skeleton/stgcn/stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-3d.py',
    '../_base_/datasets/msr_action3d_xsub.py',
    '../_base_/schedules/msr_cpu.py',
]
default_scope = 'sugar_mm'  # mmaction's base says 'mmaction'; sugar_mm's scope finds both libraries' components
custom_imports = dict(imports=['sugar_mm'], allow_failed_imports=False)

model = dict(
    backbone=dict(graph_cfg=dict(layout='kinect_v1', mode='stgcn_spatial'), num_person=1),
    cls_head=dict(num_classes=20))

train_dataloader = dict(_base_.msr_train_dataloader, _delete_=True)
val_dataloader = dict(_base_.msr_val_dataloader, _delete_=True)
test_dataloader = dict(_base_.msr_test_dataloader, _delete_=True)
val_evaluator = _base_.msr_val_evaluator
test_evaluator = _base_.msr_val_evaluator

train_cfg = dict(_base_.msr_train_cfg, _delete_=True)
param_scheduler = _base_.msr_param_scheduler
optim_wrapper = dict(_base_.msr_optim_wrapper, _delete_=True)
# mmaction's base gives its hooks and loops _scope_='mmaction'; in sugar_mm's scope the checkpoint hook is sugar_mm's
# (old checkpoints removed only after the new one is written) and the loops build SkeletonDataset
val_cfg = dict(_scope_='sugar_mm')
test_cfg = dict(_scope_='sugar_mm')
default_hooks = dict(checkpoint=dict(_scope_='sugar_mm', interval=5, max_keep_ckpts=2, save_best='auto'),
                     logger=dict(interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=16)
