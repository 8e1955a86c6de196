"""mmaction2 1.2.0's wheel lacks ``mmaction/models/localizers/drn``.

Upstream bug (open-mmlab/mmaction2#2714): ``mmaction/models/localizers/__init__.py`` does
``from .drn.drn import DRN``, but the wheel on PyPI ships without the ``drn`` package, so
``import mmaction.models`` raises ``ModuleNotFoundError``.

Fix: register a placeholder package ``mmaction.models.localizers.drn`` (and its ``drn`` module) whose ``DRN``
raises a clear ``ImportError`` when built -- the pattern mmaction uses for its optional multimodal models.

Probe: :func:`detect` asks the import system whether ``from .drn.drn import DRN`` can be resolved, the way
``import`` itself would: a module already in ``sys.modules`` (the placeholder) resolves, otherwise
:class:`importlib.machinery.PathFinder` looks for ``drn`` (and then ``drn.drn``) in the ``localizers`` folder.
Actually importing ``mmaction.models.localizers`` to see it fail is not possible: it runs
``mmaction/models/__init__.py``, which would leave half of ``mmaction.models`` in ``sys.modules`` and import
mmaction's multimodal branch before :mod:`.multimodal_branch` can choose it.
"""
from __future__ import annotations

import importlib.util
import os.path as osp
import sys
import types
from importlib.machinery import PathFinder

NAME = 'mmaction-missing-drn'
PACKAGE = 'mmaction.models.localizers.drn'
MODULE = PACKAGE + '.drn'


def mmaction_dir() -> str:
    """The folder of the installed ``mmaction`` package (found, not imported).

    Raises:
        ImportError: mmaction2 is not installed.
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mmaction2 is not installed; run `bash tools/setup_env.sh` (see README).')
    return list(spec.submodule_search_locations)[0]


def detect() -> bool:
    """Whether ``from .drn.drn import DRN`` in mmaction's localizers package would fail."""
    if MODULE in sys.modules:
        return False
    localizers = osp.join(mmaction_dir(), 'models', 'localizers')
    pkg = PathFinder.find_spec(PACKAGE, [localizers])
    if pkg is None or not pkg.submodule_search_locations:
        return True
    return PathFinder.find_spec(MODULE, list(pkg.submodule_search_locations)) is None


def _raise_unavailable() -> None:
    raise ImportError('DRN is not available: the mmaction2 1.2.0 wheel ships without '
                      'mmaction/models/localizers/drn. Install mmaction2 from source to use DRN.')


class DRN:
    """Placeholder for mmaction's DRN localizer, missing from the mmaction2 1.2.0 wheel."""

    def __init__(self, *args, **kwargs) -> None:
        _raise_unavailable()


def apply() -> None:
    """Install the placeholder package and register ``DRN`` in mmaction's ``MODELS`` (idempotent)."""
    if MODULE not in sys.modules:
        pkg = types.ModuleType(PACKAGE)
        pkg.__path__ = []  # a package, so that `.drn.drn` resolves
        pkg.__doc__ = 'Placeholder installed by sugar_mm.compat (mmaction2 wheel lacks this package).'
        mod = types.ModuleType(MODULE)
        mod.DRN = DRN
        pkg.drn = mod
        pkg.DRN = DRN
        sys.modules[PACKAGE] = pkg
        sys.modules[MODULE] = mod

    from mmaction.registry import MODELS
    if 'DRN' not in MODELS.module_dict:
        MODELS.register_module(name='DRN', module=DRN)
