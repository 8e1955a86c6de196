"""The action-knowledge schema: one versioned JSON file per dataset.

A knowledge file describes every class of a dataset in the three forms SUGAR uses (paper Sec. 3.1):

* ``motion``: the movement of six body parts, in the paper's order (head, hand, arm, hip, leg, foot). Each
  value is a short clause that names its body part, e.g. ``"head tilts back slightly"``; joined with ``"; "``
  they give the paper's motion description.
* ``visual``: >= 3 descriptions of what the action looks like to a camera (scene and appearance).
* ``brief``: >= 2 one-sentence descriptions, the LLM's answer text after ``"{class}. "`` in stage 2.

File layout::

    {
      "schema_version": 1,
      "dataset": "msr_action3d",
      "num_classes": 20,
      "provenance": {"model": "...", "prompt": "...", "date": "YYYY-MM-DD", ...},
      "classes": [
        {"index": 0, "name": "high arm wave",
         "motion": {"head": "...", "hand": "...", "arm": "...", "hip": "...", "leg": "...", "foot": "..."},
         "visual": ["...", "...", "..."],
         "brief": ["...", "..."]},
        ...
      ]
    }

This module is pure Python (no torch) so that it can validate files anywhere.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

#: The six body parts of the paper's motion knowledge, in the paper's order.
BODY_PARTS = ('head', 'hand', 'arm', 'hip', 'leg', 'foot')
#: Words accepted as naming each body part inside its clause.
_PART_WORDS = {
    'head': ('head', ),
    'hand': ('hand', ),
    'arm': ('arm', ),
    'hip': ('hip', ),
    'leg': ('leg', ),
    'foot': ('foot', 'feet'),
}
SCHEMA_VERSION = 1
MIN_VISUAL = 3
MIN_BRIEF = 2
REQUIRED_PROVENANCE = ('model', 'prompt', 'date')

#: Directory of the knowledge files shipped with the package.
KNOWLEDGE_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'data')


class KnowledgeError(ValueError):
    """A knowledge file does not follow the schema. The message names the file and the entry."""


@dataclass
class ClassKnowledge:
    """Knowledge of one action class.

    Args:
        index (int): 0-based class index (position in the dataset's label map).
        name (str): Class name exactly as in the label map.
        motion (dict[str, str]): One clause per body part of :data:`BODY_PARTS`.
        visual (list[str]): Camera-view descriptions.
        brief (list[str]): One-sentence descriptions used as LLM answer text.
    """

    index: int
    name: str
    motion: Dict[str, str]
    visual: List[str]
    brief: List[str]

    @property
    def motion_text(self) -> str:
        """The paper's motion description: the six clauses joined by ``'; '``."""
        return '; '.join(self.motion[p] for p in BODY_PARTS)

    def to_dict(self) -> dict:
        return dict(index=self.index, name=self.name, motion={p: self.motion[p] for p in BODY_PARTS},
                    visual=list(self.visual), brief=list(self.brief))


@dataclass
class ActionKnowledge:
    """All classes of one dataset. Iterating yields :class:`ClassKnowledge` in index order."""

    dataset: str
    classes: List[ClassKnowledge]
    provenance: dict = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    source: Optional[str] = None

    def __len__(self) -> int:
        return len(self.classes)

    def __iter__(self):
        return iter(self.classes)

    def __getitem__(self, index: int) -> ClassKnowledge:
        return self.classes[index]

    @property
    def names(self) -> List[str]:
        return [c.name for c in self.classes]

    def by_name(self, name: str) -> ClassKnowledge:
        for c in self.classes:
            if c.name == name:
                return c
        raise KeyError(f'class {name!r} is not in knowledge file {self.source or self.dataset!r} '
                       f'(its {len(self.classes)} classes start with {self.names[:3]})')

    def get(self, name: str) -> Optional[ClassKnowledge]:
        for c in self.classes:
            if c.name == name:
                return c
        return None

    def subset(self, names: Sequence[str]) -> 'ActionKnowledge':
        """Knowledge of ``names`` (re-indexed 0..len-1 in that order). Every name must be present."""
        classes = []
        for i, n in enumerate(names):
            c = self.by_name(n)
            classes.append(ClassKnowledge(i, c.name, dict(c.motion), list(c.visual), list(c.brief)))
        return ActionKnowledge(self.dataset, classes, dict(self.provenance), self.schema_version, self.source)

    def to_dict(self) -> dict:
        return dict(schema_version=self.schema_version, dataset=self.dataset, num_classes=len(self.classes),
                    provenance=self.provenance, classes=[c.to_dict() for c in self.classes])

    def dump(self, path: str) -> None:
        """Write the file atomically (temporary file + rename)."""
        from sugar_mm.utils.io import atomic_write_text
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + '\n')


def _fail(where: str, msg: str):
    raise KnowledgeError(f'{where}: {msg}')


def _check_text(value, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, f'expected a string, got {type(value).__name__}')
    if not value.strip():
        _fail(where, 'empty text')
    return value.strip()


def check_motion(motion, where: str) -> Dict[str, str]:
    """Validate a motion dict: exactly the six body parts, each a non-empty clause naming its part."""
    if not isinstance(motion, dict):
        _fail(where, f'"motion" must be an object with keys {list(BODY_PARTS)}, got {type(motion).__name__}')
    keys = set(motion)
    if keys != set(BODY_PARTS):
        missing = [p for p in BODY_PARTS if p not in keys]
        extra = sorted(keys - set(BODY_PARTS))
        _fail(where, f'"motion" must have exactly the body parts {list(BODY_PARTS)}; '
              f'missing {missing}, unexpected {extra}')
    out = {}
    for part in BODY_PARTS:
        text = _check_text(motion[part], f'{where}.motion.{part}')
        if not any(w in text.lower() for w in _PART_WORDS[part]):
            _fail(f'{where}.motion.{part}',
                  f'the clause must name its body part ({"/".join(_PART_WORDS[part])}), got {text!r}')
        out[part] = text
    return out


def _check_list(value, where: str, minimum: int) -> List[str]:
    if not isinstance(value, list):
        _fail(where, f'expected a list of >= {minimum} strings, got {type(value).__name__}')
    if len(value) < minimum:
        _fail(where, f'expected >= {minimum} entries, got {len(value)}')
    texts = [_check_text(v, f'{where}[{i}]') for i, v in enumerate(value)]
    if len(set(t.lower() for t in texts)) != len(texts):
        _fail(where, 'contains duplicate entries')
    return texts


def parse_knowledge(data: dict, source: str = '<dict>',
                    label_names: Optional[Sequence[str]] = None) -> ActionKnowledge:
    """Validate a decoded knowledge file and build :class:`ActionKnowledge`.

    Args:
        data (dict): The decoded JSON.
        source (str): File name used in error messages.
        label_names (Sequence[str], optional): The dataset's label map; when given, the class count and every
            class name (in order) must match it.

    Raises:
        KnowledgeError: naming ``source`` and the offending entry.
    """
    if not isinstance(data, dict):
        _fail(source, f'top level must be an object, got {type(data).__name__}')
    version = data.get('schema_version')
    if version != SCHEMA_VERSION:
        _fail(source, f'"schema_version" must be {SCHEMA_VERSION}, got {version!r}')
    dataset = _check_text(data.get('dataset', ''), f'{source}: "dataset"')
    prov = data.get('provenance')
    if not isinstance(prov, dict):
        _fail(source, '"provenance" must be an object with keys ' + str(list(REQUIRED_PROVENANCE)))
    for key in REQUIRED_PROVENANCE:
        _check_text(prov.get(key, ''), f'{source}: provenance.{key}')
    classes = data.get('classes')
    if not isinstance(classes, list) or not classes:
        _fail(source, '"classes" must be a non-empty list')
    if 'num_classes' in data and data['num_classes'] != len(classes):
        _fail(source, f'"num_classes" is {data["num_classes"]} but {len(classes)} classes are listed')

    parsed: List[ClassKnowledge] = []
    seen_names: Dict[str, int] = {}
    seen_motion: Dict[str, int] = {}
    for pos, entry in enumerate(classes):
        where = f'{source}: classes[{pos}]'
        if not isinstance(entry, dict):
            _fail(where, f'expected an object, got {type(entry).__name__}')
        unknown = set(entry) - {'index', 'name', 'motion', 'visual', 'brief'}
        if unknown:
            _fail(where, f'unexpected keys {sorted(unknown)}')
        if entry.get('index') != pos:
            _fail(where, f'"index" must be {pos} (classes are listed in label-map order), '
                  f'got {entry.get("index")!r}')
        name = _check_text(entry.get('name'), f'{where}.name')
        where = f'{source}: class {pos} {name!r}'
        if name in seen_names:
            _fail(where, f'duplicate class name (also class {seen_names[name]})')
        seen_names[name] = pos
        for key in ('motion', 'visual', 'brief'):
            if key not in entry:
                _fail(where, f'missing "{key}"')
        motion = check_motion(entry['motion'], where)
        item = ClassKnowledge(pos, name, motion, _check_list(entry['visual'], f'{where}.visual', MIN_VISUAL),
                              _check_list(entry['brief'], f'{where}.brief', MIN_BRIEF))
        key = item.motion_text.lower()
        if key in seen_motion:
            _fail(where, f'motion text is identical to class {seen_motion[key]} '
                  f'{parsed[seen_motion[key]].name!r}; similar classes must be distinguishable')
        seen_motion[key] = pos
        parsed.append(item)

    if label_names is not None:
        label_names = list(label_names)
        if len(label_names) != len(parsed):
            _fail(source, f'{len(parsed)} classes, but the label map has {len(label_names)}')
        for i, (want, got) in enumerate(zip(label_names, parsed)):
            if want != got.name:
                _fail(source, f'class {i} is named {got.name!r}, the label map says {want!r}')
    return ActionKnowledge(dataset, parsed, dict(prov), version, source)


def shipped_knowledge_files() -> Dict[str, str]:
    """``{dataset: path}`` of the knowledge files shipped with the package."""
    return {osp.splitext(f)[0]: osp.join(KNOWLEDGE_DIR, f)
            for f in sorted(os.listdir(KNOWLEDGE_DIR)) if f.endswith('.json')}


def resolve_knowledge_path(name_or_path: str) -> str:
    """A shipped dataset name (``'ntu120'``) or a path to a JSON file -> an existing path."""
    if osp.isfile(name_or_path):
        return name_or_path
    shipped = shipped_knowledge_files()
    if name_or_path in shipped:
        return shipped[name_or_path]
    raise FileNotFoundError(f'knowledge {name_or_path!r} is neither a file nor a shipped dataset '
                            f'(shipped: {sorted(shipped)})')


def load_knowledge(name_or_path: str,
                   label_names: Union[None, str, Sequence[str]] = None) -> ActionKnowledge:
    """Load and validate a knowledge file.

    Args:
        name_or_path (str): A shipped dataset name (see :func:`shipped_knowledge_files`) or a JSON path.
        label_names (str | Sequence[str], optional): The label map to check against: a list of names, or a
            label-map name/path accepted by :func:`sugar_mm.datasets.label_maps.load_label_map`.

    Returns:
        ActionKnowledge: the validated knowledge.
    """
    path = resolve_knowledge_path(name_or_path)
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode('utf-8-sig'))
    except UnicodeDecodeError as e:
        raise KnowledgeError(f'{path}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); knowledge '
                             'files are UTF-8 JSON') from None
    except json.JSONDecodeError as e:
        raise KnowledgeError(f'{path}: not valid JSON ({e})') from e
    if isinstance(label_names, str):
        from sugar_mm.datasets.label_maps import load_label_map
        label_names = load_label_map(label_names)
    return parse_knowledge(data, source=path, label_names=label_names)


_WS = re.compile(r'\s+')


def name_only_knowledge(names: Sequence[str], dataset: str = 'custom') -> ActionKnowledge:
    """Knowledge for classes that have no knowledge file entry: every text is derived from the name.

    Used for zero-shot label lists with unknown classes. Motion clauses say nothing beyond the name, so such
    classes are matched by their name embedding.
    """
    classes = []
    for i, n in enumerate(names):
        n = _WS.sub(' ', n).strip()
        motion = {p: f'{p} moves as in {n}' for p in BODY_PARTS}
        motion['foot'] = f'feet move as in {n}'
        classes.append(ClassKnowledge(i, n, motion, [f'a person doing {n}', f'a photo of {n}', f'{n}'],
                                      [f'The person performs {n}.', f'A person is doing {n}.']))
    return ActionKnowledge(dataset, classes, dict(model='none', prompt='class name only', date='n/a'))
