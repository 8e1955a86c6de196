"""Action lists drawn afresh for every training batch (list-conditioned training of the LLM recognizer).

Trained with one list in one order, the LLM learns to ignore the list: shuffled it loses accuracy, given other
names it answers with its training names. :class:`ActionListSampler` makes the list an input the model has to
read: every batch's prompt gets its own list -- shuffled, of varying length, always holding the batch's true
classes, padded with distractors from the other training classes and from an open-vocabulary pool (by default
the names of every shipped label map: NTU-120, PKU-MMD, Toyota Smarthome, MSR Action3D). One list per batch keeps
the shared-prompt-prefix speed-up (``LLMHead(share_prompt_prefix=True)``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Union

from sugar_mm.datasets.label_maps import LABEL_MAPS, load_label_map

NameSource = Union[str, Sequence[str]]


def normalize_name(name: str) -> str:
    """The key two names are compared by: lower case, single spaces, no trailing full stop."""
    return ' '.join(name.lower().replace('_', ' ').split()).rstrip('.')


def _names(source: Optional[Union[NameSource, Sequence[NameSource]]]) -> List[str]:
    """Names from a label-map name / path, a list of names, or a list of those."""
    if source is None:
        return []
    if isinstance(source, str):
        return load_label_map(source)
    out: List[str] = []
    for item in source:
        if isinstance(item, str) and (item in LABEL_MAPS or item.startswith('zsl:') or item.endswith('.txt')):
            out.extend(load_label_map(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            out.extend(_names(item))
    return out


def distractor_pool(sources: Optional[Union[NameSource, Sequence[NameSource]]] = 'all',
                    exclude: Iterable[str] = ()) -> List[str]:
    """Deduplicated open-vocabulary names, minus ``exclude`` (compared by :func:`normalize_name`).

    Args:
        sources: ``'all'`` (every shipped label map), a label-map name / path, names, or a list of those.
        exclude: Names never to offer as distractors (the training classes; for a zero-shot split the unseen
            classes too, or the training data would teach that they are always wrong).

    Returns:
        list[str]: The pool, in first-seen order.
    """
    names = [n for key in LABEL_MAPS for n in load_label_map(key)] if sources == 'all' else _names(sources)
    banned = {normalize_name(n) for n in exclude}
    pool, seen = [], set()
    for name in names:
        key = normalize_name(name)
        if key and key not in banned and key not in seen:
            seen.add(key)
            pool.append(name)
    return pool


@dataclass
class ActionList:
    """One batch's action list.

    Attributes:
        names (list[str]): The names, in prompt order.
        targets (list[int]): For every sample of the batch, the position of its class in ``names``.
    """

    names: List[str]
    targets: List[int]


class ActionListSampler:
    """Draws the action list of a training batch.

    The list holds the batch's true classes, ``U(min_train, K)`` training classes in all (the true ones
    included; ``K`` the number of training classes) and ``U(0, max_pool)`` pool names, shuffled (``shuffle``).

    Args:
        class_names (Sequence[str]): The training classes (label order).
        pool (str | Sequence[str] | None): Open-vocabulary names (see :func:`distractor_pool`); ``'all'``: every
            shipped label map; None: no pool distractors.
        exclude (str | Sequence[str] | None): More names kept out of the pool (e.g. a zero-shot split's whole
            label map); the training classes are always kept out.
        min_train (int): Fewest training classes in a list (more when the batch has more true classes).
        max_pool (int): Most pool names in a list.
        shuffle (bool): Shuffle the list (else the training classes keep label order, pool names follow).
        seed (int, optional): Seed of the sampler's own generator (None: seeded from Python's ``random``, which
            mmengine seeds with the run's seed).
    """

    def __init__(self,
                 class_names: Sequence[str],
                 pool: Optional[Union[NameSource, Sequence[NameSource]]] = 'all',
                 exclude: Optional[Union[NameSource, Sequence[NameSource]]] = None,
                 min_train: int = 2,
                 max_pool: int = 100,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        self.class_names = list(class_names)
        if min_train < 1 or max_pool < 0:
            raise ValueError(f'min_train must be >= 1 and max_pool >= 0, got {min_train} and {max_pool}')
        self.pool = distractor_pool(pool, exclude=self.class_names + _names(exclude)) if pool is not None else []
        if max_pool > len(self.pool):
            max_pool = len(self.pool)
        self.min_train = min(min_train, len(self.class_names))
        self.max_pool = max_pool
        self.shuffle = shuffle
        self.rng = random.Random(seed if seed is not None else random.getrandbits(64))

    def __call__(self, labels: Sequence[int]) -> ActionList:
        """The list of a batch whose samples have class indices ``labels``."""
        K = len(self.class_names)
        bad = [y for y in labels if not 0 <= y < K]
        if bad:
            raise ValueError(f'labels {bad} are outside the {K} training classes')
        rng = self.rng
        true = sorted(set(labels))
        n_train = rng.randint(max(self.min_train, len(true)), K)
        others = [k for k in range(K) if k not in set(true)]
        chosen = true + rng.sample(others, n_train - len(true))
        if not self.shuffle:
            chosen.sort()
        names = [self.class_names[k] for k in chosen]
        names += rng.sample(self.pool, rng.randint(0, self.max_pool)) if self.max_pool else []
        if self.shuffle:
            rng.shuffle(names)
        position = {name: i for i, name in enumerate(names)}
        return ActionList(names, [position[self.class_names[y]] for y in labels])
