# SUGAR stage 2 at paper scale: the frozen stage-1 CTR-GCN -> TQP (k=128) -> LLaMA2-7B (frozen, bf16) + LoRA
# (r=64, alpha=16). LLaMA2-7B is a local Hugging Face folder (e.g. a download of meta-llama/Llama-2-7b-hf).
llm_path = 'data/models/Llama-2-7b-hf'
model = dict(
    type='SugarRecognizer',
    keep_temporal_resolution=True,
    backbone=dict(type='CTRGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial'), num_person=2),
    freeze_encoder=True,
    cls_head=dict(
        type='LLMHead',
        in_channels=256,
        llm=dict(path=llm_path, dtype='bfloat16'),
        bridge=dict(type='tqp', num_queries=128, width=768, depth=2, num_heads=12),
        # paper: r=64, alpha=16; its target modules are not stated: attention projections
        lora=dict(r=64, alpha=16, dropout=0.05, target_modules=('q_proj', 'k_proj', 'v_proj', 'o_proj')),
        token_layout='time_joint',  # L_s = T x V = 40 x 25 = 1000 tokens into the TQP
        prompt=dict(template='sugar', use_chat_template=False),  # LLaMA2-7B base: no chat template
        gradient_checkpointing=True,
        autocast_dtype='bfloat16',
        score_mode='constrained',  # runs only the branch points of the class-name trie (120 names: see README)
        max_new_tokens=48))
