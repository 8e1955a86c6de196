"""Turning a generated answer into a class (the paper does not say how; this is documented and recorded)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

_NON_ALNUM = re.compile(r'[^0-9a-z]+')


def normalize_name(text: str) -> str:
    """Lower case, every run of non-alphanumerics -> one space, stripped."""
    return _NON_ALNUM.sub(' ', text.lower()).strip()


@dataclass
class ParsedAnswer:
    """A parsed answer.

    Attributes:
        label (int): The class index, or -1 when parsing failed (counted wrong).
        path (str): How it was found: ``'exact'``, ``'normalized'``, ``'nearest'`` or ``'failed'``.
        head (str): The part of the text that was matched (before the first period).
        reason (str): Why parsing failed (empty when it did not).
    """

    label: int
    path: str
    head: str
    reason: str = ''


def parse_answer(text: str, class_names: Sequence[str], min_similarity: float = 0.5) -> ParsedAnswer:
    """Map ``text`` (``"{class}. description"``) to a class.

    1. exact match of the text before the first period against the label list;
    2. normalised match (case, punctuation, spacing);
    3. nearest label by string similarity (``difflib`` ratio on normalised strings, at least
       ``min_similarity``);
    otherwise the answer is a failure (label -1), never an exception.
    """
    if not class_names:
        raise ValueError('empty label list')
    text = text or ''
    # class names may contain periods ("Cook.Cleandishes"): try the longest name that prefixes the text first
    stripped = text.strip()
    for i in sorted(range(len(class_names)), key=lambda i: -len(class_names[i])):
        name = class_names[i]
        if stripped.startswith(name) and (len(stripped) == len(name) or stripped[len(name)] in '.,;: \n'):
            return ParsedAnswer(i, 'exact', name)
    head = stripped.split('.')[0].strip() if '.' in stripped else stripped.split('\n')[0].strip()
    norm_head = normalize_name(head)
    if not norm_head:
        return ParsedAnswer(-1, 'failed', head, 'the answer has no text before its first period')
    norms = [normalize_name(n) for n in class_names]
    if norm_head in norms:
        return ParsedAnswer(norms.index(norm_head), 'normalized', head)
    # names with internal periods normalise to several words: compare against the normalised full text start
    norm_text = normalize_name(stripped)
    for i in sorted(range(len(norms)), key=lambda i: -len(norms[i])):
        if norms[i] and (norm_text == norms[i] or norm_text.startswith(norms[i] + ' ')):
            return ParsedAnswer(i, 'normalized', head)
    scores = [difflib.SequenceMatcher(None, norm_head, n).ratio() for n in norms]
    best = max(range(len(scores)), key=scores.__getitem__)
    if scores[best] >= min_similarity:
        return ParsedAnswer(best, 'nearest', head)
    return ParsedAnswer(-1, 'failed', head,
                        f'{head[:60]!r} is no class (closest {class_names[best]!r}, similarity {scores[best]:.2f})')
