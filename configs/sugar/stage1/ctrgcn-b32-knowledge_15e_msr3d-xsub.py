# The quick main job's stage 1 (tools/main_job.py --quick): ctrgcn-b32-knowledge_30e_msr3d-xsub.py in 15 epochs
# instead of 30, so that data preparation + stage 1 + stage 2 + test fit in ~15 minutes on a 2-core CPU (at a cost in
# accuracy: 49.8% text-similarity top-1 on 1 clip, measured 2026-11-26, vs 80.2% with 30 epochs and 5 clips).
#   python tools/train.py configs/sugar/stage1/ctrgcn-b32-knowledge_15e_msr3d-xsub.py --no-validate
_base_ = ['./ctrgcn-b32-knowledge_30e_msr3d-xsub.py']

max_epochs = 15
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs - 2, by_epoch=True, begin=2, end=max_epochs,
         convert_to_iter_based=True),
]
