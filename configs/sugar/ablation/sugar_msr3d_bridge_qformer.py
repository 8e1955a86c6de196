# Bridge ablation (paper Table 4) on MSR Action3D X-Sub, stage 2: one Q-Former over the whole sequence, k queries.
# The TQP row is configs/sugar/sugar_msr3d_xsub.py.
_base_ = ['../sugar_msr3d_xsub.py']
model = dict(cls_head=dict(bridge=dict(type='qformer')))
