# SUGAR stage 1 on MSR Action3D X-Sub with a VQ neck: the main job's stage 1
# (ctrgcn-b32-knowledge_30e_msr3d-xsub.py) with each encoder feature vector quantised to one of 512 codes before
# the knowledge head; the training log shows loss_vq, vq_usage and vq_perplexity per batch, and
#   python tools/analysis/codebook_stats.py --config THIS --checkpoint CKPT
# their values over the test split. Its encoder (backbone + neck) feeds
# configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub-vq512.py.
_base_ = ['./ctrgcn-b32-knowledge_30e_msr3d-xsub.py', '../../_base_/models/vq_necks.py']

model = dict(neck=_base_.msr_vq512_neck)
