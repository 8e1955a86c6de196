# SUGAR stage-2 head at paper scale: TQP (k=128) -> LLaMA2-7B (frozen, bf16) + LoRA (r=64, alpha=16), on the frozen
# stage-1 encoder (a stage-2 config takes `backbone` and `in_channels` from its stage-1 config). LLaMA2-7B is a local
# Hugging Face folder (e.g. a download of meta-llama/Llama-2-7b-hf).
# Prefixed like llm_1e.py: a stage-2 config inherits it next to its stage-1 config and uses `_base_.llama2_7b_head`.
llama2_7b_path = 'data/models/Llama-2-7b-hf'
llama2_7b_head = dict(
    type='LLMHead',
    llm=dict(path=llama2_7b_path, dtype='bfloat16'),
    bridge=dict(type='tqp', num_queries=128, width=768, depth=2, num_heads=12),
    # paper: r=64, alpha=16; its target modules are not stated: attention projections
    lora=dict(r=64, alpha=16, dropout=0.05, target_modules=('q_proj', 'k_proj', 'v_proj', 'o_proj')),
    token_layout='time_joint',  # L_s = T x V = 40 x 25 = 1000 tokens into the TQP
    prompt=dict(template='sugar', use_chat_template=False),  # LLaMA2-7B base: no chat template
    gradient_checkpointing=True,
    autocast_dtype='bfloat16',
    score_mode='constrained',  # runs only the branch points of the class-name trie (120 names: see README)
    # list-conditioned training: each batch's prompt lists its true classes, some other training classes and up to
    # 100 names of other datasets (every shipped label map), shuffled; a zero-shot config keeps its unseen names out
    train_lists=dict(pool='all', max_pool=100),
    max_new_tokens=48)
