# Knowledge ablation (paper Table 3) on MSR Action3D X-Sub, stage 1: visual knowledge only.
# The "both" row is configs/sugar/stage1_ctrgcn_msr3d_xsub.py.
_base_ = ['./stage1_ctrgcn_msr3d_xsub.py']
model = dict(cls_head=dict(knowledge_types=('visual',)))
custom_hooks = []
