# The paper's stage-1 schedule: SGD lr 0.01, 200 epochs, batch 200, lr x0.1 steps (milestones are not stated in
# the paper: we use 120 and 170).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200, val_begin=1, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[120, 170], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005, nesterov=True))
auto_scale_lr = dict(enable=False, base_batch_size=200)
