# The linear zero-shot baseline (the paper's Table 2 "linear" rows) on MSR Action3D 15/5: the same encoder as
# SUGAR's stage 1 (CTR-GCN, full time series) trained with cross-entropy on the 15 seen classes; unseen classes
# are scored by ConSE over class-name embeddings (MiniLM): see sugar_mm/models/heads/conse_head.py.
#   python tools/test.py configs/baselines/zsl/ctrgcn-b32-conse_30e_msr3d-zsl-15-5.py CKPT \
#       --classes zsl:msr_action3d_15_5:unseen
_base_ = ['../../sugar/zsl/ctrgcn-b32-knowledge_30e_msr3d-zsl-15-5.py']
model = dict(cls_head=dict(
    _delete_=True,
    type='ConSEHead',
    in_channels=_base_.model.cls_head.in_channels,
    train_class_names=f'{_base_.zsl_split}:seen',
    text_encoder=_base_.minilm_text_encoder,
    top_t=5,
    dropout=0.1))
custom_hooks = []  # no encoder export: this is a baseline
