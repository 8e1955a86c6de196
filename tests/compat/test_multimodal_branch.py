"""``sugar_mm.compat.multimodal_branch``: VindLU does not import under transformers 5; mmaction's branch is off."""
import ast
import importlib
import os
import os.path as osp
import sys

import pytest

from sugar_mm.compat import multimodal_branch
from sugar_mm.compat.missing_drn import mmaction_dir

VINDLU_DIR = osp.join(mmaction_dir(), 'models', 'multimodal', 'vindlu')
_NOT_EXTERNAL = ('mmaction', 'mmengine', 'torch', 'numpy')


def _vindlu_external_imports():
    """What VindLU's files import at import time from outside mmaction (read here to check the fix's list)."""
    pairs = set()
    for fname in sorted(os.listdir(VINDLU_DIR)):
        if not fname.endswith('.py'):
            continue
        with open(osp.join(VINDLU_DIR, fname), encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in tree.body:  # top-level imports only: those run at import time
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [(a.name, None) for a in node.names]
            else:
                continue
            pairs.update(p for p in modules
                         if p[0].split('.')[0] not in _NOT_EXTERNAL + tuple(sys.stdlib_module_names))
    return pairs


def test_probe_list_is_what_vindlu_imports():
    assert set(multimodal_branch.VINDLU_EXTERNAL_IMPORTS) == _vindlu_external_imports()
    assert len(set(multimodal_branch.VINDLU_EXTERNAL_IMPORTS)) == len(multimodal_branch.VINDLU_EXTERNAL_IMPORTS)


def test_vindlu_imports_fail_and_multimodal_branch_is_off():
    missing = multimodal_branch.vindlu_missing_imports()
    assert missing, 'VindLU imports would work here: the fix should not have been applied'
    assert 'transformers.modeling_utils.apply_chunking_to_forward' in missing
    # independent check that the symbol is really gone from transformers 5 and that VindLU really imports it
    assert not hasattr(importlib.import_module('transformers.modeling_utils'), 'apply_chunking_to_forward')
    vindlu_src = ''
    for fname in os.listdir(VINDLU_DIR):
        if fname.endswith('.py'):
            with open(osp.join(VINDLU_DIR, fname)) as f:
                vindlu_src += f.read()
    assert 'apply_chunking_to_forward' in vindlu_src
    assert multimodal_branch.vindlu_missing_imports(first_only=True) == missing[:1]

    import mmaction.models.multimodal as mm
    import mmaction.utils.dependency as dependency
    assert dependency.WITH_MULTIMODAL is False
    assert not hasattr(mm, 'VindLUVQA')  # the VindLU package was not imported
    assert 'mmaction.models.multimodal.vindlu' not in sys.modules
    from mmaction.registry import MODELS
    for name in ('VindLUVQA', 'VindLURetrievalMC', 'VindLURetrieval'):
        assert name in MODELS.module_dict
        # (mmaction's placeholder binds the loop variable late: every one names 'VindLURetrieval')
        with pytest.raises(ImportError, match=r'VindLU\w* requires extra multi-modal dependencies'):
            MODELS.build(dict(type=name))


def test_probe(monkeypatch):
    import mmaction.utils.dependency as dependency
    assert multimodal_branch.detect() is False  # branch chosen, mmaction.models.multimodal imported
    monkeypatch.delitem(sys.modules, 'mmaction.models.multimodal')
    assert multimodal_branch.detect() is False  # WITH_MULTIMODAL is off
    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    assert multimodal_branch.detect() is True  # mmaction's own choice, under transformers 5
    # where every import VindLU makes works, mmaction's choice is left alone
    monkeypatch.setattr(multimodal_branch, 'VINDLU_EXTERNAL_IMPORTS',
                        (('transformers.pytorch_utils', 'apply_chunking_to_forward'), ('einops', None)))
    assert multimodal_branch.detect() is False
    assert multimodal_branch.vindlu_missing_imports() == []
    monkeypatch.setattr(multimodal_branch, 'VINDLU_EXTERNAL_IMPORTS', (('no_such_module_sugar_mm', 'x'), ))
    assert multimodal_branch.vindlu_missing_imports() == ['no_such_module_sugar_mm']


def test_apply_is_idempotent(monkeypatch):
    import mmaction.utils.dependency as dependency
    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    multimodal_branch.apply()
    multimodal_branch.apply()
    assert dependency.WITH_MULTIMODAL is False
