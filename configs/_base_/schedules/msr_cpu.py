# CPU schedule for MSR Action3D (284 training sequences): minutes on 2 cores.
msr_max_epochs = 30
msr_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=msr_max_epochs, val_begin=1, val_interval=5)
msr_param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=msr_max_epochs - 3, by_epoch=True, begin=3,
         end=msr_max_epochs, convert_to_iter_based=True),
]
msr_optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0005, nesterov=True))
