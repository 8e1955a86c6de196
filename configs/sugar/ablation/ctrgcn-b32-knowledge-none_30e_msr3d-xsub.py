# Knowledge ablation (paper Table 3) on MSR Action3D X-Sub, stage 1: no knowledge: cross-entropy on a linear
# classifier (the paper's Table 3 baseline).
# The "both" row is configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py.
_base_ = ['../stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py']
model = dict(cls_head=dict(knowledge_types=(), ce_weight=1.0))
custom_hooks = []
