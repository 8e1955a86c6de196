"""ListConstrainedLogitsProcessor: answers whose "{class}." spells a listed name, in our loop and in HF generate."""
import pytest
import torch

from sugar_mm.models.llm.causal_lm import FrozenCausalLM
from sugar_mm.models.llm.greedy import greedy_decode
from sugar_mm.models.llm.list_constraint import ListConstrainedLogitsProcessor
from sugar_mm.utils.causal_lm import build_causal_lm
from tests.conftest import tiny_llm_cfg

NAMES = ['draw circle', 'draw x', 'hammer', 'hand clap', 'golf swing', 'tennis serve']


@pytest.fixture(scope='module')
def lm_and_tok():
    model, tok = build_causal_lm(**tiny_llm_cfg())
    return FrozenCausalLM(model.eval()), tok


def test_masks_outside_the_trie_until_a_candidate_is_complete():
    proc = ListConstrainedLogitsProcessor([[5, 6, 9], [5, 7], [8]])
    scores = torch.zeros(4, 12)
    out = proc(torch.empty(1, 0, dtype=torch.long), scores[:1])  # nothing generated yet: the first tokens
    assert torch.isfinite(out[0]).nonzero().view(-1).tolist() == [5, 8]
    proc = ListConstrainedLogitsProcessor([[5, 6, 9], [5, 7], [8]], prompt_length=1)
    out = proc(torch.tensor([[3, 5], [3, 8], [3, 5]]), scores[:3])
    assert torch.isfinite(out[0]).nonzero().view(-1).tolist() == [6, 7]
    assert torch.isfinite(out[1]).all()  # "8" is a whole candidate: the rest is free
    out = proc(torch.tensor([[3, 5, 7, 1, 2]]), scores[:1])
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match='left the candidate trie'):
        proc(torch.tensor([[3, 4]]), scores[:1])
    with pytest.raises(ValueError, match='at least one token'):
        ListConstrainedLogitsProcessor([[1], []])


def _prompt(lm, n):
    torch.manual_seed(n)
    return torch.randn(1, 5, lm.hidden_size), torch.randn(n, 4, lm.hidden_size)


def test_every_answer_of_a_random_llm_starts_with_a_listed_name(lm_and_tok):
    lm, tok = lm_and_tok
    cands = [tok(f'{n}.', add_special_tokens=False)['input_ids'] for n in NAMES]
    proc = ListConstrainedLogitsProcessor(cands)
    with torch.no_grad():
        state = lm.encode_prompt(*_prompt(lm, 16))
        free = greedy_decode(lm, state, 14, tok.eos_token_id, tok.pad_token_id)
        ours = greedy_decode(lm, state, 14, tok.eos_token_id, tok.pad_token_id, logits_processor=proc)
    texts = [tok.decode(r, skip_special_tokens=True) for r in ours.tolist()]
    assert all(any(t.startswith(f'{n}.') for n in NAMES) for t in texts), texts
    free_texts = [tok.decode(r, skip_special_tokens=True) for r in free.tolist()]
    assert not all(any(t.startswith(f'{n}.') for n in NAMES) for t in free_texts)  # the constraint did it


def test_same_tokens_as_hf_generate_with_the_processor(lm_and_tok):
    from transformers import LogitsProcessorList
    lm, tok = lm_and_tok
    cands = [tok(f'{n}.', add_special_tokens=False)['input_ids'] for n in NAMES]
    prefix, rest = _prompt(lm, 3)
    with torch.no_grad():
        ours = greedy_decode(lm, lm.encode_prompt(prefix, rest), 10, tok.eos_token_id, tok.pad_token_id,
                             logits_processor=ListConstrainedLogitsProcessor(cands))
        full = torch.cat([prefix.expand(3, -1, -1), rest], 1)
        ref = lm.model.generate(inputs_embeds=full, attention_mask=torch.ones(full.shape[:2], dtype=torch.long),
                                max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id,
                                eos_token_id=tok.eos_token_id,
                                logits_processor=LogitsProcessorList([ListConstrainedLogitsProcessor(cands)]))
    for row, ref_row in zip(ours.tolist(), ref.tolist()):
        assert row[:len(ref_row)] == ref_row
