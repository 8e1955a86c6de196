"""``sugar_mm.compat.missing_drn``: the mmaction2 wheel lacks ``localizers/drn``; a placeholder explains."""
import os.path as osp
import sys

import pytest

from sugar_mm.compat import missing_drn

MMACTION_DIR = missing_drn.mmaction_dir()


def test_drn_missing_from_wheel_and_placeholder_explains():
    # the bug: the wheel's localizers/__init__ imports a package the wheel does not ship
    with open(osp.join(MMACTION_DIR, 'models', 'localizers', '__init__.py')) as f:
        assert 'from .drn.drn import DRN' in f.read()
    assert not osp.exists(osp.join(MMACTION_DIR, 'models', 'localizers', 'drn', 'drn.py'))

    import mmaction.models  # noqa: F401  (would raise ModuleNotFoundError without the fix)
    import mmaction.models.localizers as loc
    from mmaction.registry import MODELS
    assert hasattr(loc, 'BMN') and hasattr(loc, 'TEM')  # the rest of the package imported
    assert MODELS.get('BMN') is loc.BMN
    with pytest.raises(ImportError, match=r'DRN is not available.*mmaction/models/localizers/drn'):
        MODELS.build(dict(type='DRN'))
    from mmaction.models.localizers.drn.drn import DRN
    with pytest.raises(ImportError, match='Install mmaction2 from source'):
        DRN()


def test_probe(monkeypatch, tmp_path):
    assert missing_drn.detect() is False  # the placeholder resolves the import now
    loaded = set(sys.modules)
    monkeypatch.delitem(sys.modules, missing_drn.MODULE)
    assert missing_drn.detect() is True  # without it: the wheel's folder has no drn
    assert set(sys.modules) == loaded - {missing_drn.MODULE}  # the probe imported nothing

    # a complete install (drn/drn.py present) has no bug, an incomplete drn package still has it
    drn = tmp_path / 'models' / 'localizers' / 'drn'
    drn.mkdir(parents=True)
    (drn / '__init__.py').write_text('')
    monkeypatch.setattr(missing_drn, 'mmaction_dir', lambda: str(tmp_path))
    assert missing_drn.detect() is True
    (drn / 'drn.py').write_text('DRN = None\n')
    assert missing_drn.detect() is False


def test_apply_is_idempotent():
    from mmaction.registry import MODELS
    pkg, mod, cls = sys.modules[missing_drn.PACKAGE], sys.modules[missing_drn.MODULE], MODELS.get('DRN')
    missing_drn.apply()
    assert sys.modules[missing_drn.PACKAGE] is pkg and sys.modules[missing_drn.MODULE] is mod
    assert MODELS.get('DRN') is cls is missing_drn.DRN
