# A bridge screen on MSR Action3D X-Sub: the main job's stage 2 (tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py)
# cut to its 10 bridge warm-up epochs -- the TQP trains on the alignment loss alone, the LLM is never run in
# training and LoRA stays at its initialisation. Its measure is the alignment classifier (`llm/align_top1`: the
# mean action token against the LLM's embeddings of the names), the accuracy the LLM then starts from; ~1/4 of a
# stage-2 run's time, so bridge settings can be compared over seeds (tools/experiments/msr3d.py --table bridge).
_base_ = ['../stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py']

bridge_epochs = 10
model = dict(cls_head=dict(generate_text=False))  # the LLM's own scores are still computed (untrained LoRA)
custom_hooks = [dict(type='BridgeWarmupHook', epochs=bridge_epochs, bridge_only=True)]
train_cfg = dict(max_epochs=bridge_epochs, val_begin=bridge_epochs)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)]
