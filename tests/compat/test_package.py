"""``sugar_mm.compat`` as a whole: each fix is applied exactly when its probe detects its bug."""
import pytest

import sugar_mm  # noqa: F401
from sugar_mm import compat

from .conftest import FIX_MODULES


def test_fix_modules_run_in_order(fresh_probe):
    assert tuple(f.__name__.rsplit('.', 1)[1] for f in compat.FIXES) == FIX_MODULES
    assert fresh_probe['order'] == list(FIX_MODULES)  # warnings first: the imports of the others stay quiet
    # sugar_mm/__init__.py imports compat first: compat finished before any other part of sugar_mm
    is_compat = [m == 'sugar_mm.compat' or m.startswith('sugar_mm.compat.') for m in fresh_probe['submodules']]
    assert 'sugar_mm.compat' in fresh_probe['submodules'] and is_compat.index(False) == sum(is_compat)
    for fix in compat.FIXES:
        assert callable(fix.detect) and callable(fix.apply) and fix.NAME and fix.__doc__


@pytest.mark.parametrize('module', FIX_MODULES)
def test_fix_is_applied_exactly_when_its_probe_detects_the_bug(fresh_probe, module):
    name = fresh_probe['names'][module]
    assert (name in fresh_probe['applied']) == fresh_probe['before'][module], fresh_probe
    # an applied fix removes what its probe detects (and a fix that was not needed had nothing to detect)
    assert fresh_probe['after'][module] is False, fresh_probe


def test_applied_fixes_record(fresh_probe):
    applied = fresh_probe['applied']
    assert len(applied) == len(set(applied))
    assert applied == [fresh_probe['names'][m] for m in FIX_MODULES if fresh_probe['before'][m]]

    record = compat.applied_fixes()
    record.append('x')  # a copy: callers cannot corrupt the record
    assert 'x' not in compat.applied_fixes()
    before = compat.applied_fixes()
    compat.apply_all()  # idempotent: nothing is applied twice
    assert compat.applied_fixes() == before


def test_public_names():
    from mmengine.logging.history_buffer import HistoryBuffer
    namespace = {}
    exec('from sugar_mm.compat import *', namespace)  # noqa: S102
    assert set(compat.__all__) <= set(namespace)
    assert HistoryBuffer in compat.SAFE_CHECKPOINT_GLOBALS
    assert compat.SAFE_CHECKPOINT_GLOBALS is compat.checkpoint_loading.safe_checkpoint_globals()
    assert compat.pytest_filterwarnings is compat.known_warnings.pytest_filterwarnings
    with pytest.raises(AttributeError, match='no attribute'):
        compat.NOT_A_NAME  # noqa: B018
