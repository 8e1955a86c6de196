"""The language-model side of the stage-2 head, one concept per module.

* ``causal_lm``: :class:`FrozenCausalLM` (access to a peft-wrapped HF model, the version branches, cached
  forwards) and :class:`PromptState` (what a prompt forward leaves for scoring and decoding);
* ``prompt``: the instruction, tokenised per class list; ``token_layout``: encoder output -> bridge sequence;
* ``candidates``: the answers' ``"{class}."`` prefixes as a token trie (pure Python);
* ``likelihood_scorer`` / ``constrained_scorer``: the two class scorers, over ``tree_attention``;
* ``greedy``: greedy decoding over ``kv_cache``'s preallocated cache; ``parsing``: answer -> class;
* ``lora``: peft LoRA adapters.
"""
from sugar_mm.utils.causal_lm import build_causal_lm
from .candidates import BranchPoints, CandidateTrie, build_candidate_trie
from .causal_lm import FrozenCausalLM, PromptState
from .constrained_scorer import constrained_scores
from .greedy import greedy_decode
from .likelihood_scorer import likelihood_scores
from .lora import apply_lora
from .parsing import ParsedAnswer, normalize_name, parse_answer
from .prompt import PROMPT_TEMPLATES, PromptBuilder, class_prefix_length
from .token_layout import TOKEN_LAYOUTS, feature_sequence

__all__ = [
    'apply_lora', 'build_causal_lm', 'BranchPoints', 'CandidateTrie', 'build_candidate_trie', 'FrozenCausalLM',
    'PromptState', 'constrained_scores', 'likelihood_scores', 'greedy_decode', 'ParsedAnswer', 'normalize_name',
    'parse_answer', 'PROMPT_TEMPLATES', 'PromptBuilder', 'class_prefix_length', 'TOKEN_LAYOUTS', 'feature_sequence'
]
