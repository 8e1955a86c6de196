"""The generation prompts (the paper's motion and visual prompts, our brief prompt), how they are filled, the
name-only fallback texts, and the check for answers copied from a prompt's example."""
from __future__ import annotations

import re
from typing import List

from ..schema import BODY_PARTS, MIN_BRIEF

#: The paper's one-shot motion prompt, verbatim; ``{action}`` is replaced by the class name (``{drink water}``
#: is part of the paper's text and stays as it is).
MOTION_PROMPT = ("Below are some examples to generate a short description.\n\n"
                 "Example: A action of {drink water}: head tilts back slightly; hand grasps cup; arm lifts cup to "
                 "mouth; hip remains stationary; leg remains stationary; foot remains stationary.\n\n"
                 "Describing following body part movements when '{action}': head, hand, arm, hip, leg, foot.")
#: The clauses of the prompt's example, used to recognise an answer that merely repeats the example.
MOTION_EXAMPLE = {'head': 'head tilts back slightly', 'hand': 'hand grasps cup', 'arm': 'arm lifts cup to mouth',
                  'hip': 'hip remains stationary', 'leg': 'leg remains stationary',
                  'foot': 'foot remains stationary'}
#: The paper's visual prompt and its three rules (the paper states the rules, not their wording).
VISUAL_PROMPT = ("Based on the image, describe '{action}' in detail. Follow these rules: "
                 "1. Describe what matches the action '{action}'. "
                 "2. Describe only the scene related to the action. "
                 "3. Do not write any unrelated text.")
#: Brief descriptions (the LLM's answer text in stage 2, written to follow ``"{class}. "``). The paper says they
#: come from the motion knowledge and shows one example (used here as the one-shot example); the prompt is ours.
BRIEF_PROMPT = ("The action '{action}' is performed with these body movements: {motion}.\n\n"
                "Write {num} different sentences that describe a person performing '{action}'. "
                "Each sentence describes the visible movement in 10 to 20 words and will be read right after "
                "the text \"{action}. \". Example for the action 'clean dishes': The man is moving back and forth "
                "and waving his arms and hands to clean the dishes.\n\n"
                "Write one sentence per line, with no numbering and no other text.")
#: Placeholder for a body part that no answer described.
MOTION_PLACEHOLDER = '{part} movement not described'


def fill_prompt(template: str, **values) -> str:
    """``template`` with ``{key}`` replaced by ``values[key]``; other braces (``{drink water}``) are left alone."""
    for key, value in values.items():
        template = template.replace('{' + key + '}', str(value))
    return template


def motion_prompt(action: str, template: str = MOTION_PROMPT) -> str:
    return fill_prompt(template, action=action)


def visual_prompt(action: str, template: str = VISUAL_PROMPT) -> str:
    return fill_prompt(template, action=action)


def motion_text(motion) -> str:
    """A motion dict (or an already joined string) as the paper's ``'; '``-joined text."""
    if isinstance(motion, str):
        return motion
    return '; '.join(motion[p] for p in BODY_PARTS if p in motion)


def brief_prompt(action: str, motion, num: int = MIN_BRIEF, template: str = BRIEF_PROMPT) -> str:
    return fill_prompt(template, action=action, motion=motion_text(motion), num=num)


def name_only_visual(name: str) -> List[str]:
    """The visual fallback texts of :func:`~sugar_mm.knowledge.schema.name_only_knowledge`."""
    return [f'a person doing {name}', f'a photo of {name}', f'{name}']


def name_only_brief(name: str) -> List[str]:
    """The brief fallback texts of :func:`~sugar_mm.knowledge.schema.name_only_knowledge`."""
    return [f'The person performs {name}.', f'A person is doing {name}.']


_GENERIC_CLAUSE_RE = re.compile(r'^\w+ (?:remains?|stays?) (?:stationary|still)$')


def copied_from_prompt(text: str, template: str, class_name: str) -> bool:
    """Whether ``text`` (a clause or a brief) is copied verbatim from the prompt ``template``'s example.

    Small LMs often repeat the one-shot example instead of describing the class. Generic clauses
    (``"hip remains stationary"``) and classes that the example itself is about are exempt.
    """
    key = re.sub(r'\s+', ' ', text.lower()).strip().rstrip('.')
    if not key or _GENERIC_CLAUSE_RE.match(key) or class_name.lower() in template.lower():
        return False
    # a whole clause / sentence of the template: delimited by punctuation on both sides
    pattern = r'(?:^|[:;,.!?])\s*' + re.escape(key) + r'\s*(?:[;,.!?]|$)'
    return re.search(pattern, re.sub(r'\s+', ' ', template.lower())) is not None
