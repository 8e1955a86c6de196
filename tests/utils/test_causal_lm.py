"""build_causal_lm: frozen weights, random init from a config dict or from an architecture folder, dtype at init."""
import json

import pytest
import torch

from sugar_mm.models.llm.lora import apply_lora
from sugar_mm.utils.causal_lm import build_causal_lm
from tests.conftest import TINY_LLAMA

TOKENIZER = 'embedded:smollm2-135m-instruct'


def write_arch(tmp_path, **overrides):
    """A Hugging Face ``config.json`` with no weights next to it (what gpu_check.py carries for big models)."""
    cfg = dict(TINY_LLAMA, architectures=['LlamaForCausalLM'], vocab_size=49152)
    cfg.update(overrides)
    (tmp_path / 'config.json').write_text(json.dumps(cfg))
    return str(tmp_path)


def test_random_init_from_an_architecture_folder_is_frozen_seeded_and_in_dtype(tmp_path):
    arch = write_arch(tmp_path)
    model, tok = build_causal_lm(config=arch, tokenizer=TOKENIZER, dtype='bfloat16', seed=3)
    assert model.config.hidden_size == TINY_LLAMA['hidden_size']
    assert model.config.num_hidden_layers == TINY_LLAMA['num_hidden_layers']
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert not any(p.requires_grad for p in model.parameters())
    again, _ = build_causal_lm(config=arch, tokenizer=TOKENIZER, dtype='bfloat16', seed=3)
    other, _ = build_causal_lm(config=arch, tokenizer=TOKENIZER, dtype='bfloat16', seed=4)
    w = model.get_input_embeddings().weight
    assert torch.equal(w, again.get_input_embeddings().weight)
    assert not torch.equal(w, other.get_input_embeddings().weight)
    # the same folder as a config.json path; LoRA then trains only adapters
    model2, _ = build_causal_lm(config=f'{arch}/config.json', tokenizer=TOKENIZER, seed=3)
    assert model2.get_input_embeddings().weight.dtype == torch.float32
    lora = apply_lora(model2, r=4, alpha=8, dropout=0.0)
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert trainable and all('lora_' in n for n in trainable)


def test_random_init_is_created_on_the_default_device(tmp_path):
    """Under ``with torch.device(...)`` the weights are made there (a 7B model never touches host memory)."""
    with torch.device('meta'):
        model, _ = build_causal_lm(config=write_arch(tmp_path), tokenizer=TOKENIZER, dtype='bfloat16')
    assert {p.device.type for p in model.parameters()} == {'meta'}


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match='exactly one'):
        build_causal_lm(path='x', config=dict(TINY_LLAMA), tokenizer=TOKENIZER)
    with pytest.raises(ValueError, match='needs `tokenizer=`'):
        build_causal_lm(config=dict(TINY_LLAMA))
    small = write_arch(tmp_path, vocab_size=1000)
    with pytest.raises(ValueError, match='vocab_size=1000, fewer than the 49152 tokens'):
        build_causal_lm(config=small, tokenizer=TOKENIZER)
