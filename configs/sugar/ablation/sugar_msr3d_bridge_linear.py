# Bridge ablation (paper Table 4) on MSR Action3D X-Sub, stage 2: one linear layer, every time step a token (L_s = 32 tokens).
# The TQP row is configs/sugar/sugar_msr3d_xsub.py.
_base_ = ['../sugar_msr3d_xsub.py']
# The bridge the main job (tools/main_job.py) uses on CPU: measured on cached features of the stage-1 encoder, the
# linear bridge reaches ~57% top-1 after 2 epochs where the from-scratch TQP stays near chance (see README).
model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
