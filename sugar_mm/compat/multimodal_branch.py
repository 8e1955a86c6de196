"""mmaction's VindLU package does not import under transformers 5.

Upstream bug: with ``transformers`` installed, ``mmaction.utils.dependency.WITH_MULTIMODAL`` is true and
``mmaction/models/multimodal/__init__.py`` imports its VindLU package, whose modules import symbols that
transformers 5 removed from ``transformers.modeling_utils`` (``apply_chunking_to_forward``,
``find_pruneable_heads_and_indices``, ``prune_linear_layer``; they live in ``transformers.pytorch_utils`` now),
and ``timm``, which this environment must not install. ``import mmaction.models`` then fails.

Fix: set ``WITH_MULTIMODAL = False`` before ``mmaction.models.multimodal`` is imported, so that mmaction takes its
own no-multimodal branch (registered placeholders that say what is missing when built).

Probe: :func:`detect` performs the imports VindLU makes from outside mmaction (:data:`VINDLU_EXTERNAL_IMPORTS`,
``from module import name`` semantics) and reports whether one fails. Importing VindLU itself is not possible
without poisoning the process: its parents run all of ``mmaction/models/__init__.py``, its modules register
classes into mmaction's registries (a second, real import would then fail with "already registered"), and a
failed import leaves the modules that did load in ``sys.modules``. The list mirrors the top-level imports of
mmaction 1.2.0's ``mmaction/models/multimodal/vindlu/*.py``; ``tests/compat/test_multimodal_branch.py``
checks it against those files, so a new mmaction release that changes them fails a test instead of silently
mis-probing. The first import, ``transformers.modeling_utils``, takes seconds, but sugar_mm's LLM code imports it
anyway; the probe stops at the first failure.
"""
from __future__ import annotations

import importlib
import sys
from typing import List, Optional, Tuple

NAME = 'mmaction-multimodal-off'

#: ``(module, name)`` of each import VindLU's modules make at import time from outside mmaction, torch, mmengine,
#: numpy and the standard library (``name`` is None for ``import module``). Cheap, likely-failing ones first.
VINDLU_EXTERNAL_IMPORTS: Tuple[Tuple[str, Optional[str]], ...] = (
    ('transformers.modeling_utils', 'apply_chunking_to_forward'),
    ('transformers.modeling_utils', 'find_pruneable_heads_and_indices'),
    ('transformers.modeling_utils', 'prune_linear_layer'),
    ('transformers.modeling_utils', 'PreTrainedModel'),
    ('transformers', None),
    ('transformers', 'BertTokenizer'),
    ('transformers.activations', 'ACT2FN'),
    ('transformers.configuration_utils', 'PretrainedConfig'),
    ('transformers.file_utils', 'ModelOutput'),
    ('transformers.file_utils', 'add_start_docstrings'),
    ('transformers.file_utils', 'add_start_docstrings_to_model_forward'),
    ('transformers.file_utils', 'replace_return_docstrings'),
    ('transformers.modeling_outputs', 'BaseModelOutputWithPastAndCrossAttentions'),
    ('transformers.modeling_outputs', 'BaseModelOutputWithPoolingAndCrossAttentions'),
    ('transformers.modeling_outputs', 'CausalLMOutputWithCrossAttentions'),
    ('transformers.modeling_outputs', 'MaskedLMOutput'),
    ('transformers.modeling_outputs', 'MultipleChoiceModelOutput'),
    ('transformers.modeling_outputs', 'NextSentencePredictorOutput'),
    ('transformers.modeling_outputs', 'QuestionAnsweringModelOutput'),
    ('transformers.modeling_outputs', 'SequenceClassifierOutput'),
    ('transformers.modeling_outputs', 'TokenClassifierOutput'),
    ('einops', None),
    ('einops', 'rearrange'),
    ('timm.models.layers', 'DropPath'),
    ('scipy', 'interpolate'),
    ('transformers.models.beit', 'BeitConfig'),
    ('transformers.models.beit', 'BeitModel'),
    ('transformers.models.beit.modeling_beit', 'BeitAttention'),
    ('transformers.models.beit.modeling_beit', 'BeitDropPath'),
    ('transformers.models.beit.modeling_beit', 'BeitEmbeddings'),
    ('transformers.models.beit.modeling_beit', 'BeitLayer'),
    ('transformers.models.beit.modeling_beit', 'BeitRelativePositionBias'),
)


def _from_import_fails(module: str, name: Optional[str]) -> Optional[str]:
    """Run ``from module import name`` (or ``import module``); the failing part, or None when it works."""
    try:
        mod = importlib.import_module(module)
    except Exception:  # ImportError, or anything a broken third-party module raises while importing
        return module
    if name is None or hasattr(mod, name):
        return None
    try:  # `from pkg import sub` also imports a submodule
        importlib.import_module(f'{module}.{name}')
    except Exception:
        return f'{module}.{name}'
    return None


def vindlu_missing_imports(first_only: bool = False) -> List[str]:
    """The imports of :data:`VINDLU_EXTERNAL_IMPORTS` that fail here (empty when VindLU's would work).

    Args:
        first_only (bool): Stop at the first failure (the probe needs no more). Defaults to False.

    Returns:
        list[str]: ``module`` or ``module.name`` of each failing import, in the order of the list.
    """
    missing = []
    for module, name in VINDLU_EXTERNAL_IMPORTS:
        failed = _from_import_fails(module, name)
        if failed is not None and failed not in missing:
            missing.append(failed)
            if first_only:
                break
    return missing


def detect() -> bool:
    """Whether importing ``mmaction.models.multimodal`` would fail on VindLU's imports."""
    if 'mmaction.models.multimodal' in sys.modules:
        return False  # imported already (it worked, or the branch was chosen before)
    import mmaction.utils.dependency as dependency
    return bool(dependency.WITH_MULTIMODAL) and bool(vindlu_missing_imports(first_only=True))


def apply() -> None:
    """Switch mmaction to its no-multimodal branch (idempotent)."""
    import mmaction.utils.dependency as dependency
    dependency.WITH_MULTIMODAL = False
