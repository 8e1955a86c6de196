from sugar_mm.utils.causal_lm import build_causal_lm
from .lora import apply_lora
from .parsing import ParsedAnswer, normalize_name, parse_answer
from .prompt import PROMPT_TEMPLATES, PromptBuilder

__all__ = ['apply_lora', 'build_causal_lm', 'ParsedAnswer', 'normalize_name', 'parse_answer', 'PROMPT_TEMPLATES',
           'PromptBuilder']
