"""``sugar_mm.compat.known_warnings``: known warning noise is silenced by message, category and module."""
import inspect
import warnings

from sugar_mm.compat import known_warnings


def test_import_is_quiet(fresh_process):
    r = fresh_process
    assert r['mmcv_transformer_imported']  # the warning's source module was imported in that process
    assert known_warnings.NAME in r['applied']
    messages = [m for _, m, _ in r['import_warnings']]
    assert not any('MultiScaleDeformableAttention' in m for m in messages), messages
    assert not any('pkg_resources is deprecated' in m for m in messages), messages
    assert not any('torch.jit' in m for m in messages), messages


def test_probe_detects_missing_filters_and_apply_is_idempotent():
    with warnings.catch_warnings():
        warnings.resetwarnings()
        assert known_warnings.detect() is True  # no filter: the noise would be shown
        known_warnings.apply()
        assert known_warnings.detect() is False
        known_warnings.apply()
        assert len(warnings.filters) == len(known_warnings.KNOWN_WARNINGS) == 4

        warnings.resetwarnings()
        warnings.simplefilter('error')  # python -W error: the noise would be an exception
        assert known_warnings.detect() is True
        known_warnings.apply()
        assert known_warnings.detect() is False
        warnings.resetwarnings()
        warnings.filterwarnings('ignore', message=known_warnings.KNOWN_WARNINGS[0].message)
        assert known_warnings.detect() is True  # one filter is not all of them


def test_examples_match_their_filters():
    """Each example is what upstream emits, and its filter matches it (else the probe would test nothing)."""
    import re

    import mmcv.cnn.bricks.transformer as tr
    assert 'Fail to import ``MultiScaleDeformableAttention``' in inspect.getsource(tr)  # the upstream warning
    for known in known_warnings.KNOWN_WARNINGS:
        assert re.match(known.message, known.example), known
        assert re.match(known.module or '', known.example_module), known


def test_filters_are_precise():
    import mmcv.cnn.bricks.transformer as tr
    msg = known_warnings.KNOWN_WARNINGS[0].example
    with warnings.catch_warnings(record=True) as caught:
        # exactly sugar_mm's filters (pytest swaps the filter list around collection), then show everything
        warnings.resetwarnings()
        known_warnings.apply()
        assert len(warnings.filters) == len(known_warnings.KNOWN_WARNINGS) == 4
        warnings.simplefilter('always', append=True)
        warnings.warn_explicit(msg, UserWarning, tr.__file__, 33, module='mmcv.cnn.bricks.transformer',
                               registry={})
        # the same text from another module, another mmcv UserWarning and a jit text as a UserWarning still show
        warnings.warn_explicit(msg, UserWarning, 'x.py', 1, module='somewhere.else', registry={})
        warnings.warn_explicit('something else', UserWarning, tr.__file__, 40, module='mmcv.cnn.bricks.transformer',
                               registry={})
        warnings.warn_explicit('`torch.jit.script` is deprecated.', DeprecationWarning, 'y.py', 1, module='m',
                               registry={})
        warnings.warn_explicit('`torch.jit.script` is deprecated.', UserWarning, 'y.py', 2, module='m',
                               registry={})
        warnings.warn_explicit('pkg_resources is deprecated as an API.', UserWarning, 'z.py', 1, module='m',
                               registry={})
        warnings.warn_explicit('pkg_resources is deprecated as an API.', DeprecationWarning, 'z.py', 2,
                               module='m', registry={})
        gc_msg = known_warnings.KNOWN_WARNINGS[3].example
        warnings.warn_explicit(gc_msg, FutureWarning, 'mu.py', 1, module='transformers.modeling_utils', registry={})
        warnings.warn_explicit(gc_msg, FutureWarning, 'o.py', 1, module='other', registry={})
    shown = [(w.category.__name__, str(w.message)[:20], w.filename) for w in caught]
    assert shown == [('UserWarning', msg[:20], 'x.py'), ('UserWarning', 'something else', tr.__file__),
                     ('UserWarning', '`torch.jit.script` i', 'y.py'),
                     ('DeprecationWarning', 'pkg_resources is dep', 'z.py'),
                     ('FutureWarning', gc_msg[:20], 'o.py')]


def test_pytest_filterwarnings_lines():
    lines = known_warnings.pytest_filterwarnings()
    assert lines[0] == ('ignore:Fail to import ``MultiScaleDeformableAttention``:UserWarning:'
                        r'mmcv\.cnn\.bricks\.transformer')
    assert lines[1] == 'ignore:pkg_resources is deprecated as an API:UserWarning'
    assert len(lines) == len(known_warnings.KNOWN_WARNINGS)
