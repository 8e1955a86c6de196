"""Fixtures of the knowledge-generation tests: a tiny random Llama with SmolLM2's tokenizer (HF-test style)."""
import pytest

from sugar_mm.knowledge.generation import ChatLM
from tests.conftest import TINY_LLAMA


@pytest.fixture(scope='package')
def tiny_lm():
    return ChatLM.load(config=dict(TINY_LLAMA), tokenizer='embedded:smollm2-135m-instruct', device='cpu',
                       max_new_tokens=12, name='tiny random llama')


@pytest.fixture(scope='package')
def tiny_model_dir(tiny_lm, tmp_path_factory):
    d = str(tmp_path_factory.mktemp('tiny_llama'))
    tiny_lm.model.save_pretrained(d)
    tiny_lm.tokenizer.save_pretrained(d)
    return d

