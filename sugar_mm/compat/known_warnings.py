"""Known, harmless warning noise of the released stack, silenced precisely.

Upstream problems (each warning is raised by code sugar_mm does not own, on every import or every LoRA model):

* mmcv-lite (no compiled ops) warns "Fail to import ``MultiScaleDeformableAttention``" from
  ``mmcv.cnn.bricks.transformer``; skeleton models never use that op;
* setuptools deprecates ``pkg_resources``, which mmengine imports to resolve ``mmaction::`` base configs;
* torch deprecates ``torch.jit.*`` APIs that mmengine/mmaction decorate their code with at import time;
* transformers 5 deprecates ``PreTrainedModel.is_gradient_checkpointing``, which peft 0.21 still reads.

Fix: one ``warnings`` filter per warning, matching its message, its category and (where the emitting module is
stable) its module -- never a blanket filter. The same filters are offered to pytest as ``filterwarnings`` lines
(:func:`pytest_filterwarnings`), because pytest resets the filter list around every test.

Probe: :func:`detect` asks the warnings machinery whether an example of each known warning would still reach
the user under the filters in force now (``warnings.warn_explicit`` inside ``catch_warnings``, so nothing is
shown and no filter or registry changes). Whether upstream *emits* a warning can only be seen by importing the
emitting module, which this fix has to precede (a module is imported once), so the probe checks the other half
of the problem: the noise would not be silenced. A filter for a warning that never fires costs nothing.
"""
from __future__ import annotations

import warnings
from typing import List, NamedTuple, Type

NAME = 'known-warnings'


class KnownWarning(NamedTuple):
    """One known warning: the filter fields and an example that the filter matches."""

    message: str  #: regex matched against the start of the message
    category: Type[Warning]
    module: str  #: regex matched against the emitting module ('' for any module)
    example: str  #: a message upstream really emits
    example_module: str  #: a module that emits it


#: The known, harmless warnings (see the module docstring).
KNOWN_WARNINGS = (
    KnownWarning(r'Fail to import ``MultiScaleDeformableAttention``', UserWarning, r'mmcv\.cnn\.bricks\.transformer',
                 'Fail to import ``MultiScaleDeformableAttention`` from ``mmcv.ops.multi_scale_deform_attn``, '
                 'You should install ``mmcv`` rather than ``mmcv-lite`` if you need this module. ',
                 'mmcv.cnn.bricks.transformer'),
    KnownWarning(r'pkg_resources is deprecated as an API', UserWarning, '',
                 'pkg_resources is deprecated as an API. See https://setuptools.pypa.io/en/latest/pkg_resources.html',
                 'mmengine.utils.package_utils'),
    KnownWarning(r'`torch\.jit\.\w+` is deprecated', DeprecationWarning, '',
                 '`torch.jit.script` is deprecated. Please switch to `torch.compile` or `torch.export`.',
                 'mmengine.utils.dl_utils'),
    KnownWarning(r'`is_gradient_checkpointing` is deprecated', FutureWarning, r'transformers\.modeling_utils',
                 '`is_gradient_checkpointing` is deprecated and will be removed in v6. Use '
                 '`is_activation_checkpointing` instead.',
                 'transformers.modeling_utils'),
)


def _would_show(known: KnownWarning) -> bool:
    """Whether ``known.example`` would reach the user under the filters in force now."""
    with warnings.catch_warnings(record=True) as caught:  # restores filters and showwarning on exit
        try:
            warnings.warn_explicit(known.example, known.category, f'{known.example_module}.py', 1,
                                   module=known.example_module, registry={})
        except Warning:  # an 'error' filter (python -W error) turns it into an exception
            return True
    return bool(caught)


def detect() -> bool:
    """Whether any known warning would still be shown (its filter is not in force)."""
    return any(_would_show(known) for known in KNOWN_WARNINGS)


def apply() -> None:
    """Install one precise ``ignore`` filter per known warning (idempotent: ``warnings`` de-duplicates)."""
    for known in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=known.message, category=known.category, module=known.module)


def pytest_filterwarnings() -> List[str]:
    """:data:`KNOWN_WARNINGS` as pytest ``filterwarnings`` lines (pytest resets filters around each test)."""
    lines = []
    for known in KNOWN_WARNINGS:
        line = f'ignore:{known.message}:{known.category.__name__}'
        lines.append(f'{line}:{known.module}' if known.module else line)
    return lines
