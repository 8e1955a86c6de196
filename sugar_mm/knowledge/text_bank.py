"""``TextBank``: the embeddings of a knowledge file, encoded once and cached on disk.

Per class it holds the class-name embedding (zero-shot scoring and name-only classes), the motion embedding
(six body parts joined, paper Sec. 3.1), every visual embedding, and optionally the brief descriptions. The cache
key is the SHA-256 of the exact texts (so an edited knowledge file re-encodes) plus the encoder's identity (class,
path, config, weight-file fingerprint), so a changed encoder re-encodes too. Training never encodes text.
"""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log

from sugar_mm.registry import MODELS
from sugar_mm.utils.embedded_models import cache_root, resolve_model_path
from sugar_mm.utils.io import atomic_open
from .schema import ActionKnowledge, ClassKnowledge, load_knowledge, name_only_knowledge

KINDS = ('name', 'motion', 'visual', 'brief')


def _encoder_identity(cfg: dict) -> str:
    """Identity of an encoder config without loading it (see ``_HFTextEncoder.identity``)."""
    from .text_encoders import _weights_fingerprint
    spec = {k: v for k, v in cfg.items()}
    path = spec.get('path')
    if path is not None:
        resolved = resolve_model_path(path)
        spec['resolved'] = resolved
        spec['weights'] = _weights_fingerprint(resolved)
    return json.dumps(spec, sort_keys=True, default=str)


def select_classes(knowledge: ActionKnowledge, class_names: Optional[Sequence[str]],
                   allow_unknown_classes: bool = False) -> ActionKnowledge:
    """Knowledge of ``class_names`` in that order; names missing from the file get name-only text when
    ``allow_unknown_classes`` (zero-shot label lists), else a clear error."""
    if class_names is None:
        return knowledge
    class_names = list(class_names)
    if not class_names:
        raise ValueError('empty class list')
    classes: List[ClassKnowledge] = []
    unknown = [n for n in class_names if knowledge.get(n) is None]
    if unknown and not allow_unknown_classes:
        raise KeyError(f'classes {unknown} are missing from knowledge file {knowledge.source}; add them, or set '
                       'allow_unknown_classes=True to describe them by their name only')
    name_only = name_only_knowledge(unknown) if unknown else None
    for i, n in enumerate(class_names):
        c = knowledge.get(n) or name_only.by_name(n)
        classes.append(ClassKnowledge(i, c.name, dict(c.motion), list(c.visual), list(c.brief)))
    if unknown:
        print_log(f'{len(unknown)} class(es) have no knowledge entry and use their name only: {unknown}',
                  logger='current', level=30)
    return ActionKnowledge(knowledge.dataset, classes, dict(knowledge.provenance), knowledge.schema_version,
                           knowledge.source)


class TextBank:
    """Cached text embeddings of a knowledge file.

    A plain helper of the heads (built directly, not from a config dict): it is not a registered model.

    Args:
        knowledge (str | ActionKnowledge): Shipped dataset name (``'ntu120'``), JSON path, or loaded knowledge.
        encoder (dict): Config of a text encoder (``SentenceTextEncoder`` / ``CLIPTextEncoder``); built only on a
            cache miss.
        class_names (Sequence[str], optional): Classes to keep, in this order (default: all, file order).
        allow_unknown_classes (bool): Describe names missing from the file by their name only.
        kinds (Sequence[str]): Which texts to embed, from ``('name', 'motion', 'visual', 'brief')``.
        cache_dir (str, optional): Default ``$SUGAR_MM_CACHE/text_bank``.
        batch_size (int): Encoding batch size.

    Attributes:
        embeddings (Tensor): (N_texts, D) float32.
        class_index (Tensor): (N_texts,) class of each text.
        kind_index (Tensor): (N_texts,) index into :data:`KINDS`.
    """

    def __init__(self,
                 knowledge: Union[str, ActionKnowledge],
                 encoder: dict,
                 class_names: Optional[Sequence[str]] = None,
                 allow_unknown_classes: bool = False,
                 kinds: Sequence[str] = ('name', 'motion', 'visual'),
                 cache_dir: Optional[str] = None,
                 batch_size: int = 64) -> None:
        bad = [k for k in kinds if k not in KINDS]
        if bad or not kinds:
            raise ValueError(f'kinds must be a non-empty subset of {KINDS}, got {list(kinds)}')
        if isinstance(knowledge, str):
            knowledge = load_knowledge(knowledge)
        self.knowledge = select_classes(knowledge, class_names, allow_unknown_classes)
        self.class_names = self.knowledge.names
        self.kinds = tuple(kinds)
        self.encoder_cfg = dict(encoder)
        self.cache_dir = cache_dir or osp.join(cache_root(), 'text_bank')
        self.batch_size = batch_size

        texts: List[Tuple[int, str, str]] = []
        for c in self.knowledge:
            for kind in self.kinds:
                if kind == 'name':
                    texts.append((c.index, kind, c.name))
                elif kind == 'motion':
                    texts.append((c.index, kind, c.motion_text))
                else:
                    texts.extend((c.index, kind, t) for t in getattr(c, kind))
        self.texts = texts
        payload = json.dumps(dict(texts=texts, encoder=_encoder_identity(self.encoder_cfg)), sort_keys=True)
        self.key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        self.cache_file = osp.join(self.cache_dir, f'{self.key}.pt')
        self.embeddings = self._load_or_encode()
        self.class_index = torch.tensor([t[0] for t in texts], dtype=torch.long)
        self.kind_index = torch.tensor([KINDS.index(t[1]) for t in texts], dtype=torch.long)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def embed_dim(self) -> int:
        return self.embeddings.shape[1]

    def _load_or_encode(self) -> torch.Tensor:
        if osp.isfile(self.cache_file):
            try:
                data = torch.load(self.cache_file, map_location='cpu', weights_only=True)
                if data.get('key') == self.key and data['embeddings'].shape[0] == len(self.texts):
                    return data['embeddings']
            except Exception as e:  # a corrupt cache is re-encoded, never trusted
                print_log(f'text bank cache {self.cache_file} is unreadable ({e}); re-encoding', logger='current',
                          level=30)
        # in sugar_mm's scope whatever the caller's default scope (the encoders are sugar_mm's models)
        encoder = MODELS.build(dict(self.encoder_cfg, _scope_='sugar_mm'))
        start = time.perf_counter()
        emb = encoder.encode([t[2] for t in self.texts], batch_size=self.batch_size)
        took = time.perf_counter() - start
        print_log(f'text bank: encoded {len(self.texts)} texts of {self.num_classes} classes with '
                  f'{self.encoder_cfg.get("type")} in {took:.1f} s -> {self.cache_file}', logger='current')
        os.makedirs(self.cache_dir, exist_ok=True)
        with atomic_open(self.cache_file, 'wb') as f:
            torch.save(dict(key=self.key, embeddings=emb, texts=[t[2] for t in self.texts]), f)
        self.encode_seconds = took
        return emb

    def select(self, kind: str) -> Tuple[torch.Tensor, torch.Tensor]:
        """Embeddings and class indices of one kind: ``(n, D)``, ``(n,)``."""
        if kind not in self.kinds:
            raise KeyError(f'this text bank has kinds {self.kinds}, not {kind!r}')
        mask = self.kind_index == KINDS.index(kind)
        return self.embeddings[mask], self.class_index[mask]

    def per_class(self, kind: str) -> torch.Tensor:
        """One embedding per class: ``(K, D)``; for multi-text kinds the normalised mean."""
        emb, cls = self.select(kind)
        out = torch.zeros(self.num_classes, emb.shape[1])
        out.index_add_(0, cls, emb)
        count = torch.bincount(cls, minlength=self.num_classes).clamp(min=1).unsqueeze(1)
        return torch.nn.functional.normalize(out / count, dim=-1)

    def as_dict(self) -> Dict[str, torch.Tensor]:
        return dict(embeddings=self.embeddings, class_index=self.class_index, kind_index=self.kind_index)
