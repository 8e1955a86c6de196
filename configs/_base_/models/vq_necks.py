# VQ necks for the MSR Action3D (CPU-scale, 128-channel) encoder: every (person, frame, joint) feature vector of
# the encoder is replaced by the nearest of 512 codes (EMA codebook, commitment 0.25, dead codes restarted), so
# that stage 2 reads discrete action tokens (LLM-AR's design; SUGAR's default keeps continuous features). The same
# neck must be in a stage-1 config and in the stage-2 config that loads its encoder.
msr_vq512_neck = dict(type='VQNeck', in_channels=128, num_codes=512, commitment=0.25, ema=True, decay=0.99)
