"""Generate action knowledge for a new dataset with local models (the paper's text construction, Sec. 3.1).

The paper built its knowledge with GPT-3.5 (motion) and GPT-4V (visual); here any local Hugging Face model does
the same job, so a user can make a knowledge file for a new label map:

1. :func:`generate_motion`: a chat LM answers the paper's one-shot prompt (:data:`MOTION_PROMPT`) once per class;
   :func:`parse_motion_answer` turns the answer into the six body-part clauses of the schema.
2. :func:`generate_brief`: the chat LM writes one-sentence descriptions from the motion knowledge
   (:data:`BRIEF_PROMPT`; the paper gives neither prompt nor count), parsed by :func:`parse_brief_answer`.
3. :func:`generate_visual`: video frames of each class are embedded with a CLIP vision encoder, the most mutually
   dissimilar ``k`` frames are kept (:func:`select_dissimilar_frames`), and a vision-language model describes each
   kept frame (:data:`VISUAL_PROMPT`, the paper's prompt and three rules).

Every step writes into a :class:`KnowledgeDraft`: a JSON file in the layout of :mod:`sugar_mm.knowledge.schema`
whose entries may lack fields until all steps ran. The draft is rewritten atomically after each class, and a rerun
skips classes whose field is already filled, so an interrupted run loses at most the class it was working on.

Small models do not always follow the format. Each class gets a greedy answer and then up to ``retries`` sampled
answers (a different seed each); what is still missing afterwards is filled with a marked placeholder
(``"<part> movement not described"``, or the name-only texts of :func:`~sugar_mm.knowledge.schema.name_only_knowledge`)
and the class is recorded in ``provenance["flags"]`` for a human to review. ``tools/knowledge/validate.py`` checks
the finished file against the schema.

Models are duck-typed callables, so any backend can be plugged in:

* a chat LM: ``lm(prompt, sample=False, seed=0, max_new_tokens=None) -> str`` (:class:`ChatLM`);
* a frame encoder: ``encoder(frames) -> array (N, D)`` (:class:`CLIPFrameEncoder`);
* a VLM: ``vlm(image, prompt, sample=False, seed=0, max_new_tokens=None) -> str`` (:class:`VisionLanguageModel`).

``transformers``, ``torch`` and ``cv2`` are imported inside the functions that need them.
"""
from __future__ import annotations

import datetime
import json
import os
import os.path as osp
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .schema import BODY_PARTS, MIN_BRIEF, MIN_VISUAL, SCHEMA_VERSION, KnowledgeError, parse_knowledge

# --------------------------------------------------------------------------------------------------- prompts

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
FIELDS = ('motion', 'brief', 'visual')


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


# --------------------------------------------------------------------------------------------------- parsers

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


# --------------------------------------------------------------------------------------------- frame selection

def select_dissimilar_frames(embeddings, k: int) -> List[int]:
    """Indices of ``k`` mutually dissimilar frames (greedy farthest-point selection on cosine similarity).

    Starts from the frame least similar to the mean embedding, then repeatedly adds the frame whose largest
    similarity to the frames already chosen is smallest, so near-duplicate frames (the many static frames of
    indoor activities) are skipped. Deterministic: ties go to the lowest index.

    Args:
        embeddings (array-like): ``(N, D)`` frame embeddings (any scale; they are L2-normalised here).
        k (int): Number of frames to keep; ``k >= N`` keeps all.

    Returns:
        list[int]: Indices in selection order.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f'embeddings must be (N, D), got shape {x.shape}')
    n = x.shape[0]
    if k >= n:
        return list(range(n))
    if k <= 0:
        return []
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    mean = x.mean(axis=0)
    mean = mean / max(np.linalg.norm(mean), 1e-12)
    chosen = [int(np.argmin(x @ mean))]
    max_sim = x @ x[chosen[0]]
    max_sim[chosen[0]] = np.inf
    while len(chosen) < k:
        nxt = int(np.argmin(max_sim))
        chosen.append(nxt)
        max_sim = np.maximum(max_sim, x @ x[nxt])
        max_sim[chosen] = np.inf
    return chosen


# ------------------------------------------------------------------------------------------------------ draft

def _today() -> str:
    return datetime.date.today().isoformat()


class KnowledgeDraft:
    """A knowledge file under construction (schema layout; entries may lack ``motion``/``brief``/``visual``).

    Every :meth:`set` rewrites the file atomically, so an interrupted generation loses at most one class.
    ``provenance`` holds one record per field (model, prompt, date, settings), the schema's required
    ``model``/``prompt``/``date`` summarising them, and ``flags``: ``{field: {class name: reason}}`` for the
    classes whose answers needed placeholders.
    """

    def __init__(self, path: str, data: dict):
        self.path = path
        self.data = data
        self._check()

    # construction ------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str, class_names: Sequence[str], dataset: str) -> 'KnowledgeDraft':
        names = [str(n) for n in class_names]
        if not names:
            raise ValueError('a draft needs at least one class name')
        if len(set(names)) != len(names):
            raise ValueError('duplicate class names: ' + str(sorted({n for n in names if names.count(n) > 1})))
        data = dict(schema_version=SCHEMA_VERSION, dataset=dataset, num_classes=len(names),
                    provenance=dict(model='', prompt='', date=_today(), flags={}),
                    classes=[dict(index=i, name=n) for i, n in enumerate(names)])
        draft = cls(path, data)
        draft.save()
        return draft

    @classmethod
    def load(cls, path: str) -> 'KnowledgeDraft':
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except json.JSONDecodeError as e:
            raise KnowledgeError(f'{path}: not valid JSON ({e})') from e
        return cls(path, data)

    @classmethod
    def open(cls, path: str, class_names: Optional[Sequence[str]] = None,
             dataset: Optional[str] = None) -> 'KnowledgeDraft':
        """Load ``path``; create it from ``class_names`` when it does not exist.

        Raises:
            FileNotFoundError: when ``path`` does not exist and no ``class_names`` are given.
            KnowledgeError: when the existing draft's classes differ from ``class_names``.
        """
        if osp.exists(path):
            draft = cls.load(path)
            if class_names is not None and list(class_names) != draft.names:
                raise KnowledgeError(
                    f'{path}: the draft lists {len(draft.names)} classes {draft.names[:3]}..., which differ from '
                    f'the {len(class_names)} given classes {list(class_names)[:3]}...; use another --out/--draft '
                    'or delete the draft')
            return draft
        if class_names is None:
            raise FileNotFoundError(f'draft {path} does not exist; create it with tools/knowledge/gen_motion.py '
                                    '(or pass the class list)')
        return cls.create(path, class_names, dataset or 'custom')

    def _check(self):
        d = self.data
        where = self.path
        if not isinstance(d, dict) or not isinstance(d.get('classes'), list) or not d['classes']:
            raise KnowledgeError(f'{where}: a draft must be an object with a non-empty "classes" list')
        for i, c in enumerate(d['classes']):
            if not isinstance(c, dict) or c.get('index') != i or not isinstance(c.get('name'), str):
                raise KnowledgeError(f'{where}: classes[{i}] must be an object with "index": {i} and a "name"')
        d.setdefault('schema_version', SCHEMA_VERSION)
        d.setdefault('dataset', 'custom')
        d['num_classes'] = len(d['classes'])
        prov = d.setdefault('provenance', {})
        if not isinstance(prov, dict):
            raise KnowledgeError(f'{where}: "provenance" must be an object')
        prov.setdefault('flags', {})
        self._by_name = {c['name']: c for c in d['classes']}

    # access --------------------------------------------------------------------------------------------
    @property
    def names(self) -> List[str]:
        return [c['name'] for c in self.data['classes']]

    @property
    def provenance(self) -> dict:
        return self.data['provenance']

    @property
    def flags(self) -> Dict[str, Dict[str, str]]:
        return self.provenance['flags']

    def entry(self, name: str) -> dict:
        if name not in self._by_name:
            raise KeyError(f'class {name!r} is not in the draft {self.path}')
        return self._by_name[name]

    def get(self, name: str, key: str):
        return self.entry(name).get(key)

    def filled(self, name: str, key: str) -> bool:
        value = self.entry(name).get(key)
        return bool(value)

    def flagged(self, name: str, key: str) -> bool:
        return name in self.flags.get(key, {})

    def pending(self, key: str, names: Optional[Iterable[str]] = None, redo_flagged: bool = False) -> List[str]:
        """Classes (of ``names``, default all) whose ``key`` is still empty (or flagged, with ``redo_flagged``)."""
        names = self.names if names is None else list(names)
        return [n for n in names if not self.filled(n, key) or (redo_flagged and self.flagged(n, key))]

    # updates -------------------------------------------------------------------------------------------
    def set(self, name: str, key: str, value, flag: Optional[str] = None, save: bool = True) -> None:
        """Store one class's ``key`` (``motion``/``brief``/``visual``), update its flag, write the file."""
        if key not in FIELDS:
            raise ValueError(f'unknown field {key!r}; expected one of {FIELDS}')
        self.entry(name)[key] = value
        flags = self.flags.setdefault(key, {})
        if flag:
            flags[name] = flag
        else:
            flags.pop(name, None)
        if save:
            self.save()

    def record_run(self, key: str, info: dict, save: bool = True) -> None:
        """Record how ``key`` was generated (model, prompt, settings) and refresh the summary keys."""
        info = dict(info)
        info.setdefault('date', _today())
        prov = self.provenance
        prov[key] = info
        runs = [(k, prov[k]) for k in FIELDS if isinstance(prov.get(k), dict)]
        prov['model'] = '; '.join(f'{k}: {r.get("model", "?")}' + (f' (frames: {r["clip"]})' if 'clip' in r
                                                                      else '') for k, r in runs)
        prov['prompt'] = '\n\n'.join(f'{k}: {r.get("prompt", "?")}' for k, r in runs)
        prov['date'] = max(r['date'] for _, r in runs)
        if save:
            self.save()

    def save(self) -> None:
        """Write the draft atomically, each class's keys in the schema's order."""
        from sugar_mm.utils.io import atomic_write_text
        order = ('index', 'name', 'motion', 'visual', 'brief')
        data = dict(self.data)
        data['classes'] = [dict([(k, c[k]) for k in order if k in c] + [(k, v) for k, v in c.items() if k not in order])
                           for c in self.data['classes']]
        atomic_write_text(self.path, json.dumps(data, indent=1, ensure_ascii=False) + '\n')

    def flagged_classes(self) -> Dict[str, Dict[str, str]]:
        """``{field: {class: reason}}`` without empty fields."""
        return {k: dict(v) for k, v in self.flags.items() if v}

    def to_knowledge(self, label_names: Optional[Sequence[str]] = None):
        """Validate the (complete) draft with the schema; returns :class:`ActionKnowledge`."""
        return parse_knowledge(self.data, source=self.path, label_names=label_names)


# ------------------------------------------------------------------------------------------------ model wrappers

def _auto_device(device: Optional[str]) -> str:
    if device not in (None, 'auto'):
        return device
    import torch
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _seeded(device):
    import torch
    devices = [device.index or 0] if getattr(device, 'type', 'cpu') == 'cuda' else []
    return torch.random.fork_rng(devices=devices)


class ChatLM:
    """A Hugging Face causal LM as ``lm(prompt, sample=False, seed=0, max_new_tokens=None) -> str``.

    The prompt is sent as one user message through the tokenizer's chat template (raw text when the tokenizer
    has none). ``sample=False`` decodes greedily; ``sample=True`` samples (``temperature``, ``top_p``) with
    ``torch`` seeded by ``seed`` (the global RNG state is restored afterwards).
    """

    def __init__(self, model, tokenizer, name: str = 'chat LM', max_new_tokens: int = 160,
                 temperature: float = 0.7, top_p: float = 0.9, repetition_penalty: float = 1.0):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.repetition_penalty = repetition_penalty

    @classmethod
    def load(cls, path: Optional[str] = None, config: Optional[dict] = None, tokenizer: Optional[str] = None,
             device: Optional[str] = 'auto', dtype=None, trust_remote_code: bool = False, seed: int = 0,
             name: Optional[str] = None, **kwargs) -> 'ChatLM':
        """Load ``path`` (local folder, hub id, ``'embedded:smollm2-135m-instruct'``) or build a random model
        from ``config`` (tests) with :func:`sugar_mm.models.llm.build.build_causal_lm`."""
        from sugar_mm.models.llm.build import build_causal_lm
        model, tok = build_causal_lm(path=path, config=config, tokenizer=tokenizer, dtype=dtype, seed=seed,
                                     trust_remote_code=trust_remote_code)
        model = model.to(_auto_device(device))
        if name is None:
            name = path if path is not None else f'random {config.get("model_type", "")} config {config}'
        return cls(model, tok, name=name, **kwargs)

    def format(self, prompt: str) -> str:
        if getattr(self.tokenizer, 'chat_template', None):
            return self.tokenizer.apply_chat_template([dict(role='user', content=prompt)], tokenize=False,
                                                      add_generation_prompt=True)
        return prompt

    def __call__(self, prompt: str, sample: bool = False, seed: int = 0,
                 max_new_tokens: Optional[int] = None) -> str:
        import torch
        from transformers import GenerationConfig
        tok = self.tokenizer
        text = self.format(prompt)
        templated = text is not prompt
        enc = tok(text, return_tensors='pt', add_special_tokens=not templated).to(self.model.device)
        eos = getattr(self.model.generation_config, 'eos_token_id', None)
        if eos is None:
            eos = tok.eos_token_id
        kwargs = dict(max_new_tokens=max_new_tokens or self.max_new_tokens, do_sample=bool(sample),
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                      eos_token_id=eos, repetition_penalty=self.repetition_penalty)
        if sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        with _seeded(self.model.device), torch.no_grad():
            torch.manual_seed(seed)
            out = self.model.generate(**enc, generation_config=GenerationConfig(**kwargs))
        return tok.decode(out[0, enc['input_ids'].shape[1]:], skip_special_tokens=True).strip()


def _to_pil(frame):
    from PIL import Image
    if isinstance(frame, Image.Image):
        return frame.convert('RGB')
    arr = np.asarray(frame)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return Image.fromarray(arr[..., :3])


class CLIPFrameEncoder:
    """``encoder(frames) -> (N, D)`` image embeddings of a ``CLIPVisionModelWithProjection``.

    Frames are PIL images or ``(H, W, 3)`` uint8 RGB arrays.
    """

    def __init__(self, model, processor, name: str = 'CLIP vision', batch_size: int = 32):
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: Optional[str] = None, config: Optional[dict] = None, device: Optional[str] = 'auto',
             seed: int = 0, **kwargs) -> 'CLIPFrameEncoder':
        """A local folder / hub id with a CLIP vision tower and its image processor, or a random model from a
        ``CLIPVisionConfig`` dict (``config``; tests)."""
        import torch
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection
        from sugar_mm.utils.embedded_models import resolve_model_path
        if (path is None) == (config is None):
            raise ValueError('give exactly one of `path` or `config`')
        if path is not None:
            path = resolve_model_path(path)
            model = CLIPVisionModelWithProjection.from_pretrained(path)
            processor = CLIPImageProcessor.from_pretrained(path)
            name = path
        else:
            cfg = CLIPVisionConfig(**config)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = CLIPVisionModelWithProjection(cfg)
            size = cfg.image_size
            processor = CLIPImageProcessor(size={'shortest_edge': size}, crop_size={'height': size, 'width': size})
            name = f'random CLIP vision config {config}'
        model.requires_grad_(False)
        return cls(model.to(_auto_device(device)), processor, name=kwargs.pop('name', name), **kwargs)

    def __call__(self, frames) -> np.ndarray:
        import torch
        feats = []
        for i in range(0, len(frames), self.batch_size):
            batch = [_to_pil(f) for f in frames[i:i + self.batch_size]]
            inputs = self.processor(images=batch, return_tensors='pt')
            pixels = inputs['pixel_values'].to(self.model.device, dtype=self.model.dtype)
            with torch.no_grad():
                feats.append(self.model(pixel_values=pixels).image_embeds.float().cpu().numpy())
        return np.concatenate(feats, axis=0) if feats else np.zeros((0, 0), np.float32)


class VisionLanguageModel:
    """An ``AutoModelForImageTextToText`` + ``AutoProcessor`` as
    ``vlm(image, prompt, sample=False, seed=0, max_new_tokens=None) -> str``.

    The image and the prompt go in one user message through the processor's chat template.
    """

    def __init__(self, model, processor, name: str = 'VLM', max_new_tokens: int = 160, temperature: float = 0.7,
                 top_p: float = 0.9, repetition_penalty: float = 1.0):
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.repetition_penalty = repetition_penalty

    @classmethod
    def load(cls, path: str, device: Optional[str] = 'auto', dtype=None, trust_remote_code: bool = False,
             **kwargs) -> 'VisionLanguageModel':
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from sugar_mm.models.llm.build import to_dtype
        from sugar_mm.utils.embedded_models import resolve_model_path
        local = resolve_model_path(path)
        mkw = dict(trust_remote_code=trust_remote_code)
        if dtype is not None:
            mkw['dtype'] = to_dtype(dtype)
        model = AutoModelForImageTextToText.from_pretrained(local, **mkw)
        processor = AutoProcessor.from_pretrained(local, trust_remote_code=trust_remote_code)
        model.requires_grad_(False)
        return cls(model.to(_auto_device(device)), processor, name=kwargs.pop('name', path), **kwargs)

    def _text(self, prompt: str) -> str:
        proc = self.processor
        if getattr(proc, 'chat_template', None):
            messages = [dict(role='user', content=[dict(type='image'), dict(type='text', text=prompt)])]
            return proc.apply_chat_template(messages, add_generation_prompt=True)
        image_token = getattr(proc, 'image_token', None) or '<image>'
        return f'{image_token}\n{prompt}'

    def __call__(self, image, prompt: str, sample: bool = False, seed: int = 0,
                 max_new_tokens: Optional[int] = None) -> str:
        import torch
        from transformers import GenerationConfig
        proc = self.processor
        tok = getattr(proc, 'tokenizer', proc)
        inputs = proc(images=_to_pil(image), text=self._text(prompt), return_tensors='pt').to(self.model.device)
        if 'pixel_values' in inputs:
            inputs['pixel_values'] = inputs['pixel_values'].to(self.model.dtype)
        eos = getattr(self.model.generation_config, 'eos_token_id', None)
        if eos is None:
            eos = tok.eos_token_id
        kwargs = dict(max_new_tokens=max_new_tokens or self.max_new_tokens, do_sample=bool(sample),
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                      eos_token_id=eos, repetition_penalty=self.repetition_penalty)
        if sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        with _seeded(self.model.device), torch.no_grad():
            torch.manual_seed(seed)
            out = self.model.generate(**inputs, generation_config=GenerationConfig(**kwargs))
        return tok.decode(out[0, inputs['input_ids'].shape[1]:], skip_special_tokens=True).strip()


# --------------------------------------------------------------------------------------------------- generation

@dataclass
class GenerationReport:
    """What one generation run did.

    Attributes:
        field (str): ``'motion'``, ``'brief'`` or ``'visual'``.
        results (dict): ``{class: value written}`` for the classes generated in this run.
        raw (dict): ``{class: [raw answers, in call order]}`` (visual: one list per kept frame, flattened).
        flags (dict): ``{class: reason}`` of the classes flagged in this run.
        skipped (list): Classes whose field was already filled (not regenerated).
        no_input (list): Classes without input (visual: no frames; brief: no motion knowledge).
        seconds (dict): ``{class: wall time}``.
        calls (int): Model calls made.
        frames (dict): Visual only: ``{class: ids of the kept frames}``.
    """

    field: str
    results: Dict[str, object] = field(default_factory=dict)
    raw: Dict[str, List[str]] = field(default_factory=dict)
    flags: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    no_input: List[str] = field(default_factory=list)
    seconds: Dict[str, float] = field(default_factory=dict)
    calls: int = 0
    frames: Dict[str, List[str]] = field(default_factory=dict)

    def summary(self, path: Optional[str] = None, draft: Optional[KnowledgeDraft] = None) -> str:
        lines = [f'{self.field}: generated {len(self.results)} classes, skipped {len(self.skipped)} already filled, '
                 f'{self.calls} model calls']
        if self.seconds:
            secs = list(self.seconds.values())
            lines.append(f'  time per class: mean {np.mean(secs):.1f} s, max {max(secs):.1f} s')
        if self.no_input:
            lines.append(f'  no input for {len(self.no_input)} classes: {self.no_input}')
        if self.flags:
            lines.append(f'  flagged in this run ({len(self.flags)}):')
            lines += [f'    {name}: {why}' for name, why in self.flags.items()]
        else:
            lines.append('  flagged in this run: none')
        if draft is not None:
            all_flags = draft.flagged_classes().get(self.field, {})
            missing = draft.pending(self.field)
            lines.append(f'  draft: {len(all_flags)} classes flagged for {self.field}, '
                         f'{len(missing)} of {len(draft.names)} still without {self.field}')
        if path:
            lines.append(f'  output: {path}')
        return '\n'.join(lines)


def _progress(iterable, desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, disable=not enabled, dynamic_ncols=True)


def _lm_name(model) -> str:
    return str(getattr(model, 'name', type(model).__name__))


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


def _resolve_draft(draft, class_names=None) -> Optional[KnowledgeDraft]:
    """A draft object; a path is loaded when it exists, else created from ``class_names``."""
    if draft is None or isinstance(draft, KnowledgeDraft):
        return draft
    draft = str(draft)
    return KnowledgeDraft.open(draft, class_names=None if osp.exists(draft) else class_names)


def _todo(names: Sequence[str], draft: Optional[KnowledgeDraft], key: str, redo_flagged: bool,
          report: GenerationReport) -> List[str]:
    if draft is None:
        return list(names)
    todo = draft.pending(key, names, redo_flagged=redo_flagged)
    report.skipped = [n for n in names if n not in todo]
    return todo


def generate_motion(class_names: Sequence[str], lm: Callable, draft=None, retries: int = 3,
                    max_new_tokens: Optional[int] = None, prompt: str = MOTION_PROMPT, seed: int = 0,
                    redo_flagged: bool = False, progress: bool = True) -> GenerationReport:
    """Motion knowledge (six body-part clauses) for each class.

    Each class is asked once greedily, then up to ``retries`` times with sampling (seeds ``seed+1, ...``) while
    the answers miss body parts. The first complete answer is used; otherwise the answer with the most parts,
    completed from the other answers, and parts no answer described become ``"<part> movement not described"``
    (the class is flagged). Clauses copied from the prompt's example (:func:`copied_from_prompt`) do not count.

    Args:
        class_names (Sequence[str]): Classes to describe (all must be in the draft, when one is given).
        lm (callable): ``lm(prompt, sample=..., seed=..., max_new_tokens=...) -> str``, e.g. :class:`ChatLM`.
        draft (KnowledgeDraft | str, optional): Draft to fill (created from ``class_names`` if the path does
            not exist); written after each class; classes whose motion is filled are skipped.
        retries (int): Sampled retries after the greedy answer.
        max_new_tokens (int, optional): Answer length limit (default: the LM's).
        prompt (str): Template with ``{action}`` (default: the paper's).
        seed (int): Base seed of the sampled retries.
        redo_flagged (bool): Regenerate classes flagged by an earlier run.
        progress (bool): Show a tqdm bar.

    Returns:
        GenerationReport
    """
    names = list(class_names)
    draft = _resolve_draft(draft, names)
    report = GenerationReport('motion')
    todo = _todo(names, draft, 'motion', redo_flagged, report)
    if draft is not None and todo:
        draft.record_run('motion', dict(model=_lm_name(lm), prompt=prompt, retries=retries,
                                        max_new_tokens=max_new_tokens, seed=seed, sampling=_sampling(lm)))
    for name in _progress(todo, 'motion', progress):
        start = time.time()
        attempts: List[Dict[str, str]] = []
        raw: List[str] = []
        for attempt in range(retries + 1):
            answer = lm(motion_prompt(name, prompt), sample=attempt > 0, seed=seed + attempt,
                        max_new_tokens=max_new_tokens)
            report.calls += 1
            raw.append(answer)
            clauses, _ = parse_motion_answer(answer)
            clauses = {p: c for p, c in clauses.items() if not copied_from_prompt(c, prompt, name)}
            missing = [p for p in BODY_PARTS if p not in clauses]
            attempts.append(clauses)
            if not missing:
                break
        motion, flag = _merge_motion(attempts)
        if draft is not None:
            other = {motion_text(draft.get(n, 'motion')).lower(): n
                     for n in draft.names if n != name and draft.filled(n, 'motion')}
            twin = other.get(motion_text(motion).lower())
            if twin is not None:
                flag = '; '.join(filter(None, [flag, f'motion text identical to class {twin!r}']))
            draft.set(name, 'motion', motion, flag=flag)
        report.results[name] = motion
        report.raw[name] = raw
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report


def _sampling(model) -> dict:
    return {k: getattr(model, k) for k in ('temperature', 'top_p', 'repetition_penalty') if hasattr(model, k)}


def _merge_motion(attempts: List[Dict[str, str]]) -> Tuple[Dict[str, str], Optional[str]]:
    complete = [a for a in attempts if len(a) == len(BODY_PARTS)]
    if complete:
        return {p: complete[0][p] for p in BODY_PARTS}, None
    best = max(range(len(attempts)), key=lambda i: (len(attempts[i]), -i)) if attempts else None
    merged = dict(attempts[best]) if best is not None else {}
    for a in attempts:
        for p, c in a.items():
            merged.setdefault(p, c)
    missing = [p for p in BODY_PARTS if p not in merged]
    for p in missing:
        merged[p] = MOTION_PLACEHOLDER.format(part=p)
    flag = None
    if missing:
        flag = (f'missing body parts after {len(attempts)} answers: {", ".join(missing)} '
                f'(filled with "<part> movement not described")')
    return {p: merged[p] for p in BODY_PARTS}, flag


def generate_brief(class_names: Sequence[str], lm: Callable, draft=None, motions: Optional[Mapping] = None,
                   num_briefs: int = MIN_BRIEF, retries: int = 3, max_new_tokens: Optional[int] = None,
                   prompt: str = BRIEF_PROMPT, seed: int = 0, redo_flagged: bool = False,
                   progress: bool = True) -> GenerationReport:
    """Brief descriptions (one sentence each, to follow ``"{class}. "``) from each class's motion knowledge.

    Briefs are collected over a greedy answer and up to ``retries`` sampled answers until ``num_briefs`` distinct
    ones exist (a copy of the prompt's example sentence does not count). If fewer remain, the name-only briefs
    (``"The person performs {class}."``) fill the gap and the class is flagged.

    Args:
        class_names (Sequence[str]): Classes to describe.
        lm (callable): ``lm(prompt, sample=..., seed=..., max_new_tokens=...) -> str``.
        draft (KnowledgeDraft | str, optional): Draft to fill; must exist when given as a path; its motion
            knowledge is used unless ``motions`` is given.
        motions (Mapping, optional): ``{class: motion dict or text}``.
        num_briefs (int): Briefs per class (>= 2 for the schema).

    Other arguments as in :func:`generate_motion`. Classes without motion knowledge are listed in
    ``report.no_input`` and left alone.
    """
    names = list(class_names)
    draft = _resolve_draft(draft, None)
    report = GenerationReport('brief')
    todo = _todo(names, draft, 'brief', redo_flagged, report)
    recorded = False
    for name in _progress(todo, 'brief', progress):
        motion = motions.get(name) if motions is not None else (draft.get(name, 'motion') if draft else None)
        if not motion:
            report.no_input.append(name)
            continue
        if draft is not None and not recorded:
            draft.record_run('brief', dict(model=_lm_name(lm), prompt=prompt, num_briefs=num_briefs,
                                           retries=retries, max_new_tokens=max_new_tokens, seed=seed,
                                           sampling=_sampling(lm)))
            recorded = True
        start = time.time()
        briefs: List[str] = []
        raw: List[str] = []
        for attempt in range(retries + 1):
            answer = lm(brief_prompt(name, motion, num_briefs, prompt), sample=attempt > 0, seed=seed + attempt,
                        max_new_tokens=max_new_tokens)
            report.calls += 1
            raw.append(answer)
            for b in parse_brief_answer(answer, name):
                if b.lower() not in {x.lower() for x in briefs} and not copied_from_prompt(b, prompt, name):
                    briefs.append(b)
            if len(briefs) >= num_briefs:
                break
        briefs = briefs[:num_briefs]
        flag = None
        if len(briefs) < num_briefs:
            flag = (f'{len(briefs)} of {num_briefs} briefs after {len(raw)} answers '
                    f'(filled with name-only briefs)' if briefs else
                    f'empty briefs after {len(raw)} answers (filled with name-only briefs)')
            for b in name_only_brief(name):
                if len(briefs) < max(num_briefs, MIN_BRIEF) and b.lower() not in {x.lower() for x in briefs}:
                    briefs.append(b)
        if draft is not None:
            draft.set(name, 'brief', briefs, flag=flag)
        report.results[name] = briefs
        report.raw[name] = raw
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report


def generate_visual(class_frames: Mapping, clip_encoder: Callable, vlm: Callable, k: int = 3, draft=None,
                    class_names: Optional[Sequence[str]] = None, retries: int = 3,
                    max_new_tokens: Optional[int] = None, prompt: str = VISUAL_PROMPT, seed: int = 0,
                    redo_flagged: bool = False, progress: bool = True) -> GenerationReport:
    """Visual knowledge: ``k`` mutually dissimilar frames per class, one VLM description each.

    Args:
        class_frames (Mapping): ``{class: frames}``; frames are PIL images or ``(H, W, 3)`` uint8 RGB arrays.
            Looked up one class at a time (a lazy mapping such as :class:`ClassFrameFolder` keeps one class in
            memory); a frame list with an ``ids`` attribute names the frames in the provenance.
        clip_encoder (callable): ``frames -> (N, D)`` embeddings (:class:`CLIPFrameEncoder`).
        vlm (callable): ``vlm(image, prompt, sample=..., seed=..., max_new_tokens=...) -> str``
            (:class:`VisionLanguageModel`).
        k (int): Frames kept (and descriptions written) per class.
        draft (KnowledgeDraft | str, optional): Draft to fill (an existing path, or created from
            ``class_names``); the kept frames' ids are recorded in ``provenance["visual"]["frames"]``.
        class_names (Sequence[str], optional): Classes to describe (default: the draft's, else the mapping's).
        retries (int): Sampled retries of a frame whose description is empty or repeats an earlier one.

    Descriptions are written in the frames' temporal order. A class with fewer than ``max(k, 3)`` distinct
    descriptions is completed with name-only texts and flagged; classes missing from ``class_frames`` (or with
    no frames) are listed in ``report.no_input``.
    """
    if class_names is None:
        class_names = draft.names if isinstance(draft, KnowledgeDraft) else list(class_frames)
    names = list(class_names)
    draft = _resolve_draft(draft, names)
    report = GenerationReport('visual')
    todo = _todo(names, draft, 'visual', redo_flagged, report)
    recorded = False
    for name in _progress(todo, 'visual', progress):
        frames = class_frames.get(name) if isinstance(class_frames, Mapping) else None
        if not frames:
            report.no_input.append(name)
            continue
        if draft is not None and not recorded:
            prev = draft.provenance.get('visual', {})
            draft.record_run('visual', dict(
                model=_lm_name(vlm), clip=_lm_name(clip_encoder), prompt=prompt, k=k, retries=retries,
                max_new_tokens=max_new_tokens, seed=seed, sampling=_sampling(vlm),
                selection='greedy farthest-point on CLIP image-embedding cosine similarity',
                frames=dict(prev.get('frames', {})) if isinstance(prev, dict) else {}), save=False)
            recorded = True
        start = time.time()
        ids = list(getattr(frames, 'ids', None) or [str(i) for i in range(len(frames))])
        emb = np.asarray(clip_encoder(frames))
        keep = sorted(select_dissimilar_frames(emb, k))
        texts: List[str] = []
        raw: List[str] = []
        empty = 0
        text_prompt = visual_prompt(name, prompt)
        for j, idx in enumerate(keep):
            text = ''
            for attempt in range(retries + 1):
                answer = vlm(frames[idx], text_prompt, sample=attempt > 0, seed=seed + 1000 * j + attempt,
                             max_new_tokens=max_new_tokens)
                report.calls += 1
                raw.append(answer)
                text = clean_visual_answer(answer)
                if text and text.lower() not in {t.lower() for t in texts}:
                    break
                text = ''
            if text:
                texts.append(text)
            else:
                empty += 1
        want = max(k, MIN_VISUAL)
        reasons = []
        if empty:
            reasons.append(f'{empty} of {len(keep)} frames gave empty or repeated descriptions')
        if len(keep) < k:
            reasons.append(f'only {len(keep)} frames available (k={k})')
        if len(texts) < want:
            for t in name_only_visual(name):
                if len(texts) < want and t.lower() not in {x.lower() for x in texts}:
                    texts.append(t)
            reasons.append(f'completed to {len(texts)} descriptions with name-only texts')
        flag = '; '.join(reasons) or None
        kept_ids = [ids[i] for i in keep]
        if draft is not None:
            draft.provenance['visual']['frames'][name] = kept_ids
            draft.set(name, 'visual', texts, flag=flag)
        report.results[name] = texts
        report.raw[name] = raw
        report.frames[name] = kept_ids
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report


# ------------------------------------------------------------------------------------------------ frame folders

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg')
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')


class FrameList(list):
    """A list of frames with ``ids`` naming them (``"video.mp4#12"``, ``"seq/0003.png"``)."""

    def __init__(self, frames=(), ids=()):
        super().__init__(frames)
        self.ids = list(ids)


def _natural_key(s: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', s)]


def uniform_indices(n: int, num: int) -> List[int]:
    """``num`` indices spread evenly over ``range(n)`` (all of them when ``num >= n``)."""
    if num <= 0 or num >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, num=num).round().astype(int).tolist()))


def read_video_frames(path: str, num: int = 16) -> Tuple[List[np.ndarray], List[int]]:
    """``num`` evenly spaced RGB frames of a video (OpenCV), and their frame indices.

    Frames are counted by grabbing (container frame counts can be wrong), then only the wanted ones decoded.
    """
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'cannot open video {path}')
    count = 0
    while cap.grab():
        count += 1
    cap.release()
    wanted = uniform_indices(count, num)
    want = set(wanted)
    frames, got = [], []
    cap = cv2.VideoCapture(path)
    try:
        for i in range(count):
            if not cap.grab():
                break
            if i in want:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                    got.append(i)
    finally:
        cap.release()
    return frames, got


def _read_image(path: str) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def _norm_name(name: str) -> str:
    return re.sub(r'[^0-9a-z]+', '_', name.lower()).strip('_')


class ClassFrameFolder(Mapping):
    """``{class: FrameList}`` read lazily from ``root/<class name>/``.

    A class folder may hold videos (:data:`VIDEO_EXTS`, ``frames_per_video`` evenly spaced frames each),
    images (:data:`IMAGE_EXTS`, each one a frame) and sub-folders of frame images (one sequence each, sampled
    like a video). Folder names match class names exactly or after normalisation (case, and any run of
    characters other than letters and digits, e.g. ``"eat meal/snack"`` -> ``eat_meal_snack``).

    Args:
        root (str): Folder with one sub-folder per class.
        class_names (Sequence[str]): The classes (folders of other names are ignored).
        frames_per_video (int): Frames sampled from each video or frame sequence.
        max_videos (int, optional): Use at most this many videos / sequences per class (evenly spaced).
    """

    def __init__(self, root: str, class_names: Sequence[str], frames_per_video: int = 16,
                 max_videos: Optional[int] = None):
        if not osp.isdir(root):
            raise FileNotFoundError(f'frames root {root} is not a folder')
        self.root = root
        self.frames_per_video = frames_per_video
        self.max_videos = max_videos
        by_norm: Dict[str, str] = {}
        for d in sorted(os.listdir(root)):
            if osp.isdir(osp.join(root, d)):
                by_norm.setdefault(_norm_name(d), d)
        self.folders: Dict[str, str] = {}
        for n in class_names:
            if osp.isdir(osp.join(root, n)) and '/' not in n:
                self.folders[n] = osp.join(root, n)
            elif _norm_name(n) in by_norm:
                self.folders[n] = osp.join(root, by_norm[_norm_name(n)])
        self.class_names = list(class_names)

    def __iter__(self):
        return iter(n for n in self.class_names if n in self.folders)

    def __contains__(self, name) -> bool:
        return name in self.folders

    def __len__(self):
        return len(self.folders)

    def __getitem__(self, name: str) -> FrameList:
        if name not in self.folders:
            raise KeyError(name)
        folder = self.folders[name]
        entries = sorted(os.listdir(folder), key=_natural_key)
        sequences = [e for e in entries if e.lower().endswith(VIDEO_EXTS) or osp.isdir(osp.join(folder, e))]
        images = [e for e in entries if e.lower().endswith(IMAGE_EXTS) and osp.isfile(osp.join(folder, e))]
        if self.max_videos is not None:
            sequences = [sequences[i] for i in uniform_indices(len(sequences), self.max_videos)]
        out = FrameList()
        for e in sequences:
            path = osp.join(folder, e)
            if osp.isdir(path):
                files = sorted((f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTS)), key=_natural_key)
                for i in uniform_indices(len(files), self.frames_per_video):
                    out.append(_read_image(osp.join(path, files[i])))
                    out.ids.append(f'{e}/{files[i]}')
            else:
                frames, idx = read_video_frames(path, self.frames_per_video)
                out.extend(frames)
                out.ids.extend(f'{e}#{i}' for i in idx)
        for e in images:
            out.append(_read_image(osp.join(folder, e)))
            out.ids.append(e)
        return out


# ------------------------------------------------------------------------------------------------- CLI helpers

def add_generation_args(parser) -> None:
    """The options shared by ``tools/knowledge/gen_*.py``."""
    parser.add_argument('--retries', type=int, default=3,
                        help='sampled retries (a new seed each) after the greedy answer (default: 3)')
    parser.add_argument('--max-new-tokens', type=int, default=160, help='answer length limit (default: 160)')
    parser.add_argument('--limit', type=int, default=None, help='only the first N classes of the list')
    parser.add_argument('--seed', type=int, default=0, help='base seed of the sampled retries (default: 0)')
    parser.add_argument('--redo-flagged', action='store_true', help='regenerate classes flagged by an earlier run')
    parser.add_argument('--device', default='auto', help='cpu, cuda, cuda:1, ... (default: cuda if available)')
    parser.add_argument('--dtype', default=None, help='weight dtype, e.g. bfloat16 (default: as saved)')
    parser.add_argument('--trust-remote-code', action='store_true',
                        help="run the model folder's own Python code (off by default)")
    parser.add_argument('--repetition-penalty', type=float, default=1.0,
                        help='generation repetition penalty (default: 1.0 = off; ~1.2 curbs loops of small models)')
    parser.add_argument('--raw-log', default=None, help='append raw answers and parsed results here (JSON lines)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')


def read_raw_log_line(name: str, key: str, raw: List[str], result) -> str:
    """One JSON line for a ``--raw-log`` file."""
    return json.dumps(dict(field=key, name=name, raw=raw, result=result), ensure_ascii=False)


def append_raw_log(path: Optional[str], report: GenerationReport) -> None:
    """Append a run's raw answers and parsed results to ``path`` (JSON lines), if given."""
    if not path:
        return
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'a', encoding='utf-8') as f:
        for name, raw in report.raw.items():
            f.write(read_raw_log_line(name, report.field, raw, report.results.get(name)) + '\n')
