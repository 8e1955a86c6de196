"""The SUGAR instruction prompt, tokenised once per class list.

The paper's instruction (Sec. 3.3)::

    Given a sequence of action tokens \\n<action>, please choose the most compatible action from:
    [action list], and describe the action.

``<action>`` is replaced by the bridge's k embeddings, ``[action list]`` by the class names joined with ", ".
The answer (LLM target) is ``"{class}. {brief description}"`` followed by the tokenizer's end token.

With ``use_chat_template=True`` (instruct models such as SmolLM2-Instruct or Llama-2-chat) the instruction is
the user turn of the tokenizer's chat template and the answer the assistant turn; otherwise (base models such as
LLaMA2-7B) the prompt is ``BOS + instruction + answer_prefix``.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

ACTION_PLACEHOLDER = '<action>'
LIST_PLACEHOLDER = '[action list]'

PROMPT_TEMPLATES: Dict[str, str] = {
    # the paper's instruction
    'sugar': ('Given a sequence of action tokens \n<action>, please choose the most compatible action from: '
              '[action list], and describe the action.'),
    # the same instruction with the action list first: everything before <action> is then identical for every
    # sample, so its key/value cache is computed once per batch (LLMHead(share_prompt_prefix=True)); used by
    # the CPU configs to cut the LLM's per-sample tokens
    'sugar_list_first': ('Choose the most compatible action from: [action list]. Given a sequence of action '
                         'tokens \n<action>, name the action and describe it.'),
    # the paper's top-5 variant
    'sugar_top5': ('Given a sequence of action tokens <action>, please choose the top five most compatible '
                   'action from [action list].'),
}


def resolve_template(template: str) -> str:
    """A preset name (:data:`PROMPT_TEMPLATES`) or a literal template with both placeholders."""
    text = PROMPT_TEMPLATES.get(template, template)
    for ph in (ACTION_PLACEHOLDER, LIST_PLACEHOLDER):
        if text.count(ph) != 1:
            raise ValueError(f'a prompt template needs exactly one {ph!r}, got {text!r} '
                             f'(presets: {sorted(PROMPT_TEMPLATES)})')
    return text


@dataclass
class TokenizedPrompt:
    """Token ids around the action tokens: ``prefix_ids + <k action embeddings> + suffix_ids``."""

    prefix_ids: List[int]
    suffix_ids: List[int]
    class_names: List[str]
    text: str


class PromptBuilder:
    """Renders and tokenises the instruction for a class list (cached per list).

    Args:
        tokenizer: A Hugging Face tokenizer.
        template (str): Preset name or literal template.
        use_chat_template (bool | None): Wrap in the tokenizer's chat template; None = when it has one.
        system_prompt (str | None): System turn for chat templates (short by default to keep prompts short;
            ``None`` keeps the template's own default).
        answer_prefix (str): Text between instruction and answer for plain (non-chat) prompts.
        list_separator (str): Between class names.
        cache_size (int): Tokenised prompts kept (least recently used dropped): a few evaluation lists; the
            lists of list-conditioned training are new every batch.
    """

    def __init__(self, tokenizer, template: str = 'sugar', use_chat_template: Optional[bool] = None,
                 system_prompt: Optional[str] = 'You recognize human actions.', answer_prefix: str = '\nAnswer: ',
                 list_separator: str = ', ', cache_size: int = 16) -> None:
        self.tokenizer = tokenizer
        self.template = resolve_template(template)
        has_chat = getattr(tokenizer, 'chat_template', None) is not None
        self.use_chat_template = has_chat if use_chat_template is None else use_chat_template
        if self.use_chat_template and not has_chat:
            raise ValueError('use_chat_template=True, but the tokenizer has no chat template')
        self.system_prompt = system_prompt
        self.answer_prefix = answer_prefix
        self.list_separator = list_separator
        self._cache: 'OrderedDict[tuple, TokenizedPrompt]' = OrderedDict()
        self.cache_size = cache_size
        eos = tokenizer.eos_token_id
        if eos is None:
            raise ValueError('the tokenizer has no eos token; the answer needs an end token')
        self.eos_token_id = eos

    def render(self, class_names: Sequence[str]) -> str:
        """The full prompt text with ``<action>`` still in place."""
        if not class_names:
            raise ValueError('empty label list: the prompt needs at least one class name')
        user = self.template.replace(LIST_PLACEHOLDER, self.list_separator.join(class_names))
        if self.use_chat_template:
            messages = ([dict(role='system', content=self.system_prompt)] if self.system_prompt else []) + \
                [dict(role='user', content=user)]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        bos = self.tokenizer.bos_token or ''
        return bos + user + self.answer_prefix

    def __call__(self, class_names: Sequence[str]) -> TokenizedPrompt:
        key = tuple(class_names)
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            text = self.render(class_names)
            before, after = text.split(ACTION_PLACEHOLDER)
            tok = self.tokenizer
            self._cache[key] = TokenizedPrompt(
                prefix_ids=tok(before, add_special_tokens=False)['input_ids'],
                suffix_ids=tok(after, add_special_tokens=False)['input_ids'],
                class_names=list(class_names), text=text)
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return self._cache[key]

    def answer_ids(self, answer: str) -> List[int]:
        """Token ids of an answer, ending with the end token."""
        return self.tokenizer(answer, add_special_tokens=False)['input_ids'] + [self.eos_token_id]

    def candidate_ids(self, class_name: str) -> List[int]:
        """Token ids of ``"{class}."``, the scored prefix of an answer."""
        return self.tokenizer(f'{class_name}.', add_special_tokens=False)['input_ids']


def class_prefix_length(candidate_ids: Sequence[int], answer_ids: Sequence[int]) -> int:
    """How many leading tokens of ``answer_ids`` spell the candidate ``"{class}."`` (their common prefix)."""
    n = 0
    while n < min(len(candidate_ids), len(answer_ids)) and candidate_ids[n] == answer_ids[n]:
        n += 1
    return n
