"""Parsers that turn free-form model answers into knowledge: body-part clauses (:func:`parse_motion_answer`),
one-sentence briefs (:func:`parse_brief_answer`) and one-line visual descriptions (:func:`clean_visual_answer`)."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ..schema import BODY_PARTS

_PART_OF = {'head': 'head', 'heads': 'head', 'hand': 'hand', 'hands': 'hand', 'arm': 'arm', 'arms': 'arm',
            'hip': 'hip', 'hips': 'hip', 'leg': 'leg', 'legs': 'leg', 'foot': 'foot', 'feet': 'foot'}
_PART = r'(?:head|hands?|arms?|hips?|legs?|foot|feet)'
_DET = r"(?:the\s+person's|the\s+subject's|the|his|her|their|its|one's)"
_MOD = r'(?:both|left|right|two|each|one|other)'
_LABEL_RE = re.compile(rf'^(?:{_DET}\s+)?((?:{_MOD}\s+)?({_PART}))(?:\s+(?:movements?|motions?|position))?'
                       rf'\s*(?::|\s[-\u2013\u2014=]|[-\u2013\u2014=]\s)\s*(.*)$', re.I)
_START_RE = re.compile(rf'^(?:{_DET}\s+)?((?:{_MOD}\s+)?({_PART}))\b\s*(.*)$', re.I)
_BULLET_RE = re.compile(r'^\s*(?:[-*\u2022\u00b7>]+|\(?\d{1,2}[.):]|\(?[a-fA-F][.)]|#+)\s+')
_LABELED_ITEM_RE = re.compile(r'^\s*(?:sentence|description|brief|option|answer)\s*\d*\s*[:.)-]\s*', re.I)
_SEG_SPLIT_RE = re.compile(
    rf';|(?<=[.!?])\s+'                              # clause / sentence boundaries
    rf'|,\s*(?=(?:{_DET}\s+)?(?:{_MOD}\s+)?{_PART}\b)'  # "..., hand grasps cup"
    rf'|(?<!both)(?<!left)(?<!right)(?<!two)(?<!each)(?<!one)(?<!other)'
    rf'\s+(?=(?:{_MOD}\s+)?{_PART}\s*:)', re.I)     # "Head: tilts back Hand: grasps cup" on one line
_QUOTES = '"\'\u201c\u201d\u2018\u2019`'
_TRAIL = ' \t.;,:!?' + _QUOTES


def _strip_markup(text: str) -> str:
    text = text.replace('**', '').replace('__', '').replace('`', '')
    return text.replace('\r\n', '\n').replace('\r', '\n')


def _clean(text: str) -> str:
    text = re.sub(r'\s+', ' ', text).strip().strip(' ' + _QUOTES)
    if len(text) > 1 and text[0] + text[-1] in ('()', '[]'):  # "(tilts back)"
        text = text[1:-1]
    return text.rstrip(_TRAIL).strip()


def _balanced(text: str) -> bool:
    return text.count('(') == text.count(')') and text.count('[') == text.count(']')


def _lower_first(text: str) -> str:
    if len(text) >= 2 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _parse_segment(seg: str, max_words: int = 20) -> Optional[Tuple[str, str, int]]:
    """``(part, clause, priority)`` of one segment, or ``None``; labelled ("Head: ...") beats unlabelled."""
    parsed = _parse_segment_raw(seg)
    if parsed is None:
        return None
    clause = parsed[1]
    if len(clause.split()) > max_words or not _balanced(clause):
        return None  # a rambling or broken fragment, not a body-part clause
    return parsed


def _parse_segment_raw(seg: str) -> Optional[Tuple[str, str, int]]:
    seg = _BULLET_RE.sub('', seg.strip()).strip(' ' + _QUOTES)
    if not seg:
        return None
    m = _LABEL_RE.match(seg)
    if m:
        label, word, content = m.group(1), m.group(2), _clean(m.group(3))
        part = _PART_OF[word.lower()]
        if not re.search('[a-zA-Z]', content):
            return None
        inner = _START_RE.match(content)
        if inner and _PART_OF[inner.group(2).lower()] == part and _clean(inner.group(3)):
            # "Head: the head tilts back" -> "head tilts back" (no doubled part word)
            clause = inner.group(1).lower() + ' ' + _lower_first(_clean(inner.group(3)))
        else:
            clause = label.lower() + ' ' + _lower_first(content)
        return part, _clean(clause), 2
    m = _START_RE.match(seg)
    if m:
        content = _clean(m.group(3))
        if not re.search('[a-zA-Z]', content):
            return None
        return _PART_OF[m.group(2).lower()], _clean(m.group(1).lower() + ' ' + content), 1
    if ':' in seg:  # "A action of {waving}: head tilts back", "Sure, here it is: Head: tilts back"
        return _parse_segment_raw(seg.split(':', 1)[1])
    return None


def parse_motion_answer(text: str, max_words: int = 20) -> Tuple[Dict[str, str], List[str]]:
    """Body-part clauses of an LM answer to :data:`MOTION_PROMPT`.

    Accepts the formats small LMs produce: the paper's ``"head tilts back; hand grasps cup; ..."``, one part per
    line (``"Head: tilts back"``, ``"- **Hands** - clap"``, ``"1. Feet: stay planted"``), full sentences
    (``"The head tilts back. The hands ..."``), comma lists and chatter around them. Plural part words (hands,
    arms, hips, legs, feet) count for their part. Each clause is normalised to start with its part word
    (``"Head: Tilts back."`` -> ``"head tilts back"``; a left/right/both modifier is kept:
    ``"right hand grasps cup"``), with trailing punctuation trimmed. When a part is described twice, a labelled
    line wins over a sentence, then the first one wins. Fragments longer than ``max_words`` words or with
    unbalanced brackets are rambling, not clauses, and do not count.

    Returns:
        tuple: ``(clauses, missing)``: ``{part: clause}`` for the parts found (in :data:`BODY_PARTS` order) and
        the list of parts not found.
    """
    found: Dict[str, Tuple[int, int, str]] = {}
    order = 0
    for line in _strip_markup(text or '').split('\n'):
        line = _BULLET_RE.sub('', line.strip())
        for seg in _SEG_SPLIT_RE.split(line):
            if not seg:
                continue
            parsed = _parse_segment(seg, max_words)
            if parsed is None:
                continue
            part, clause, prio = parsed
            order += 1
            if part not in found or (prio, -order) > (found[part][0], -found[part][1]):
                found[part] = (prio, order, clause)
    clauses = {p: found[p][2] for p in BODY_PARTS if p in found}
    return clauses, [p for p in BODY_PARTS if p not in found]


_CHATTER_RE = re.compile(
    r"^(?:sure|certainly|of course|okay|ok|absolutely|great|here(?:'s| is| are)|below (?:is|are)|i hope|i'm|i am|"
    r"i have|i've|let me|feel free|note|these (?:sentences|descriptions)|the following|in summary|"
    r"as an ai)\b", re.I)


_CONTINUATION_RE = re.compile(r"^[\"'(]?(?:he|she|they|it|this|that|these|those|then|his|her|their|its|also|and|"
                              r"but|so|however|afterwards|finally)\b", re.I)


def _class_prefix_re(class_name: str):
    name = r'\s+'.join(re.escape(w) for w in class_name.split())
    return re.compile(rf'^[{_QUOTES}{{\[(]*\s*{name}\s*[{_QUOTES}}}\])]*\s*(?:[.:\-\u2013\u2014]+\s*|$)', re.I)


def parse_brief_answer(text: str, class_name: str, min_words: int = 4, max_words: int = 30) -> List[str]:
    """Clean one-sentence briefs from an LM answer to :data:`BRIEF_PROMPT`.

    One brief per sentence: numbering, bullets, ``"Sentence 1:"`` labels and quotes are stripped, a repeated
    leading ``"{class_name}."`` is dropped, chatter (``"Sure! Here are two sentences:"``, ``"I hope this
    helps."``) and fragments shorter than ``min_words`` or longer than ``max_words`` words are skipped, and each
    brief starts with a capital letter and ends with a full stop. A later sentence of a line that starts with a
    pronoun or connective (``"She then ..."``) continues the one before and is skipped. Duplicates
    (case-insensitive) are removed.
    """
    prefix = _class_prefix_re(class_name)
    out: List[str] = []
    seen = set()
    for line in _strip_markup(text or '').split('\n'):
        line = _LABELED_ITEM_RE.sub('', _BULLET_RE.sub('', line.strip()))
        line = prefix.sub('', line.strip(' ' + _QUOTES)).strip()
        if not line or line.endswith(':'):
            continue
        for i, sent in enumerate(re.split(r'(?<=[.!?])\s+(?=[' + _QUOTES + r'(]?[A-Z0-9])', line)):
            if i > 0 and _CONTINUATION_RE.match(sent):
                continue  # "She then ...": leans on the sentence before, not a brief on its own
            sent = _LABELED_ITEM_RE.sub('', _BULLET_RE.sub('', sent.strip()))
            sent = prefix.sub('', sent.strip(' ' + _QUOTES)).strip()
            sent = re.sub(r'\s+', ' ', sent).strip(' ' + _QUOTES)
            if not sent or sent.endswith(':') or _CHATTER_RE.match(sent):
                continue
            if sent.lower().rstrip(_TRAIL) == class_name.lower():
                continue
            n_words = len(sent.split())
            if n_words < min_words or n_words > max_words:
                continue
            sent = sent.rstrip(' ,;:' + _QUOTES)
            sent = sent[0].upper() + sent[1:]
            if sent[-1] in '!?':
                sent = sent[:-1]
            if not sent.endswith('.'):
                sent += '.'
            if sent.count('"') % 2:  # a closing quote lost with the trailing punctuation: 'a "hammer.'
                sent = sent[:-1] + '".'
            key = sent.lower()
            if key not in seen:
                seen.add(key)
                out.append(sent)
    return out


def clean_visual_answer(text: str) -> str:
    """A VLM description on one line: markup removed, whitespace collapsed, surrounding quotes stripped."""
    text = _strip_markup(text or '')
    lines = [_BULLET_RE.sub('', ln.strip()) for ln in text.split('\n')]
    text = re.sub(r'\s+', ' ', ' '.join(ln for ln in lines if ln)).strip().strip(_QUOTES + ' ')
    return text if re.search('[a-zA-Z]', text) else ''
