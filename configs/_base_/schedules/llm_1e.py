# The paper's stage-2 schedule: 1 epoch, lr 2e-5, global batch 128 (8 GPUs x 16).
# Variables are prefixed with `llm_` so that a stage-2 config can inherit this file next to its stage-1 config
# (mmengine forbids duplicate keys among bases) and pick them up as `train_cfg = dict(_base_.llm_train_cfg, ...)`.
llm_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_begin=1, val_interval=1)
llm_optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.0), clip_grad=dict(max_norm=1.0))
llm_param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
]
llm_auto_scale_lr = dict(enable=False, base_batch_size=128)
