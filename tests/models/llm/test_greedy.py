"""Greedy decoding from a shared prompt cache equals Hugging Face's generate, with either decoding cache."""
import pytest
import torch

from sugar_mm.models.llm.causal_lm import FrozenCausalLM
from sugar_mm.models.llm.greedy import greedy_decode
from sugar_mm.utils.causal_lm import build_causal_lm
from tests.conftest import tiny_llm_cfg


@pytest.fixture(scope='module')
def lm_and_tok():
    model, tok = build_causal_lm(**tiny_llm_cfg())
    return FrozenCausalLM(model.eval()), tok


@pytest.mark.parametrize('cache_impl', ['static', 'preallocated'])
def test_greedy_decode_matches_hf_generate(lm_and_tok, cache_impl):
    lm, tok = lm_and_tok
    torch.manual_seed(0)
    prefix, rest = torch.randn(1, 5, lm.hidden_size), torch.randn(3, 4, lm.hidden_size)
    with torch.no_grad():
        state = lm.encode_prompt(prefix, rest)  # shared prefix, broadcast past
        ours = greedy_decode(lm, state, 10, tok.eos_token_id, tok.pad_token_id, cache_impl=cache_impl)
        full = torch.cat([prefix.expand(3, -1, -1), rest], 1)
        ref = lm.model.generate(inputs_embeds=full, attention_mask=torch.ones(full.shape[:2], dtype=torch.long),
                                max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id,
                                eos_token_id=tok.eos_token_id)
    for row, ref_row in zip(ours.tolist(), ref.tolist()):
        n = len(ref_row)
        assert row[:n] == ref_row


def test_unknown_cache_impl_is_an_error(lm_and_tok):
    lm, tok = lm_and_tok
    with torch.no_grad():
        state = lm.encode_prompt(torch.randn(1, 2, lm.hidden_size), torch.randn(1, 2, lm.hidden_size))
    with pytest.raises(ValueError, match='cache_impl'):
        greedy_decode(lm, state, 3, tok.eos_token_id, tok.pad_token_id, cache_impl='dynamic')
