"""Shared fixtures. Unit tests use tiny random models built from configs (nothing downloaded); a few
integration tests use the embedded real models and the real MSR Action3D data in ../shared."""
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# keep caches (text banks, the converted SmolLM2) inside the checkout, separate from a user's own
os.environ.setdefault('SUGAR_MM_CACHE', osp.join(REPO, '.cache', 'tests'))
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
# the checkpoint-signing key of the tests' runs (sugar_mm.utils.checkpoint_signatures), not the user's own
os.environ.setdefault('SUGAR_MM_KEY_FILE', osp.join(REPO, '.cache', 'tests', 'checkpoint_signing_key'))
sys.path.insert(0, REPO)

import sugar_mm  # noqa: E402,F401  (compat fixes + registration, as every config does)
from mmengine.registry import DefaultScope, init_default_scope  # noqa: E402

init_default_scope('sugar_mm')  # as a config's default_scope does


@pytest.fixture(autouse=True, scope='module')
def sugar_mm_module_scope():
    """The same for module-scoped fixtures (they are set up before the per-test scope below)."""
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        yield


@pytest.fixture(autouse=True)
def sugar_mm_default_scope():
    """Every test starts in sugar_mm's scope: a Runner made by an earlier test (whose ``default_scope`` becomes
    the current one) does not leak its scope into the next test."""
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        yield


def pytest_collection_finish(session):
    # importing a test module can make mmaction's scope current (mmengine falls back to mmaction's
    # register_all_modules(), which sets it, for a registry without import locations); module- and
    # session-scoped fixtures run outside the per-test scope above, so restore sugar_mm's here
    init_default_scope('sugar_mm')


def pytest_configure(config):
    # the same precise filters as sugar_mm.compat (pytest resets warning filters around every test)
    for line in sugar_mm.compat.pytest_filterwarnings():
        config.addinivalue_line('filterwarnings', line)

MSR_RAW = osp.join(osp.dirname(REPO), 'shared', 'data', 'msr_action3d')

#: A tiny Llama (SmolLM2's tokenizer, random weights): HF-test style.
TINY_LLAMA = dict(model_type='llama', hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
#: A tiny BERT text encoder (MiniLM's tokenizer, random weights).
TINY_BERT = dict(model_type='bert', hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                 num_attention_heads=2, max_position_embeddings=128)


def tiny_text_encoder_cfg():
    return dict(type='SentenceTextEncoder', config=dict(TINY_BERT), tokenizer='embedded:all-minilm-l6-v2')


def tiny_llm_cfg():
    return dict(config=dict(TINY_LLAMA), tokenizer='embedded:smollm2-135m-instruct')


@pytest.fixture(scope='session')
def msr_raw():
    if not osp.isdir(osp.join(MSR_RAW, 'real_world_coordinates')):
        pytest.skip(f'MSR Action3D raw data not found at {MSR_RAW}')
    return MSR_RAW


@pytest.fixture(scope='session')
def msr_pkl(msr_raw, tmp_path_factory):
    """The real MSR Action3D converted once per test session."""
    from sugar_mm.datasets.converters.msr_action3d import convert_msr_action3d
    from sugar_mm.utils.io import atomic_pickle_dump
    out = str(tmp_path_factory.mktemp('msr') / 'msr_action3d.pkl')
    atomic_pickle_dump(convert_msr_action3d(msr_raw, log=lambda s: None), out)
    return out


@pytest.fixture
def text_cache(tmp_path):
    return str(tmp_path / 'text_bank')
