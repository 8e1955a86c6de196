# Knowledge ablation (paper Table 3) on MSR Action3D X-Sub, stage 1: visual knowledge only.
# The "both" row is configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py.
_base_ = ['../stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py']
model = dict(cls_head=dict(knowledge_types=('visual',)))
custom_hooks = []
