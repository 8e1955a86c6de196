"""Point a head's config at another class list: zero-shot evaluation of a trained model, no retraining."""
from __future__ import annotations

import inspect
from typing import Optional, Sequence, Tuple

from mmengine.logging import print_log

from sugar_mm.registry import MODELS


def head_init_args(head_cfg: dict, default_scope: Optional[str] = None) -> Tuple[str, ...]:
    """Constructor arguments of the class that ``head_cfg`` builds, resolved as its build will resolve it.

    Args:
        head_cfg (dict): A head config (``type`` and arguments).
        default_scope (str, optional): The config's ``default_scope``; None uses the current default scope.

    Returns:
        tuple[str]: Argument names; empty when the type is unknown.
    """
    with MODELS.switch_scope_and_registry(head_cfg.get('_scope_', default_scope)) as registry:
        cls = registry.get(head_cfg['type']) if isinstance(head_cfg['type'], str) else head_cfg['type']
    if cls is None:
        return ()
    return tuple(inspect.signature(cls.__init__).parameters)


def retarget_head(head_cfg: dict, class_names: Sequence[str], knowledge: Optional[str] = None,
                  default_scope: Optional[str] = None) -> None:
    """Set ``class_names`` on a head config (in place), with what the new names need.

    Heads that read a knowledge file (``KnowledgeContrastHead``, ``LLMHead``) also get
    ``allow_unknown_classes=True`` (names missing from the file use their name only) and ``knowledge`` when
    given; heads that embed names as they are (``ConSEHead``) take the names only.

    Args:
        head_cfg (dict): The head config, edited in place.
        class_names (Sequence[str]): The new label list.
        knowledge (str, optional): Knowledge file for the new names.
        default_scope (str, optional): The config's ``default_scope`` (see :func:`head_init_args`).
    """
    args = head_init_args(head_cfg, default_scope)
    head_cfg['class_names'] = list(class_names)
    if 'allow_unknown_classes' in args:
        head_cfg['allow_unknown_classes'] = True
    if knowledge is not None:
        if 'knowledge' in args:
            head_cfg['knowledge'] = knowledge
        else:
            print_log(f'{head_cfg["type"]} uses no knowledge file: knowledge={knowledge!r} is ignored',
                      logger='current', level=30)
