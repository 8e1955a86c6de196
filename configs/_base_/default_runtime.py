# Runtime shared by every sugar_mm config: sugar_mm's scope (its registries are children of mmaction's, so
# unprefixed names find sugar_mm's components first, then mmaction's and MMEngine's), mmaction's default hooks.
default_scope = 'sugar_mm'
custom_imports = dict(imports=['sugar_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # sugar_mm's CheckpointHook (this scope's 'CheckpointHook'; mmengine's is 'mmengine.CheckpointHook'): removes
    # an old checkpoint only after the new one is written, and signs what it writes (sugar_mm.engine.checkpoint_hook)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # GPU users get NCCL; on CPU-only machines sugar_mm.compat switches the process group to gloo.
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
