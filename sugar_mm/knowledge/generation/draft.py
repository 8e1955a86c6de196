"""``KnowledgeDraft``: a knowledge file under construction, rewritten atomically after each class."""
from __future__ import annotations

import datetime
import json
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence

from ..schema import SCHEMA_VERSION, KnowledgeError, parse_knowledge

FIELDS = ('motion', 'brief', 'visual')


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
