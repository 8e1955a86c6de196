"""sugar_mm's registries (sugar_mm/registry.py): children of mmaction's, in the ``sugar_mm`` scope.

Lookups go from a child to its parents, never from a parent to its children: under ``default_scope='sugar_mm'``
one config tree mixes sugar_mm's and mmaction's components (mmaction's internal builds resolve through the
default scope), under ``default_scope='mmaction'`` sugar_mm's need their ``sugar_mm.`` prefix.
"""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import mmaction.registry as mmaction_registry
import pytest
from mmengine.config import Config
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope, Registry

import sugar_mm.registry as sugar_registry
from sugar_mm.models.backbones import CTRGCN
from sugar_mm.registry import HOOKS, METRICS, MODELS, TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GRAPH = dict(layout='kinect_v1', mode='spatial')
TINY_CTRGCN = dict(type='CTRGCN', graph_cfg=GRAPH, base_channels=4, num_stages=2, num_person=1)
GCN_HEAD = dict(type='GCNHead', num_classes=5, in_channels=4)

#: sugar_mm's components, by registry (LLMHead is left out: its module chooses its registry itself).
OURS = dict(
    MODELS=['CTRGCN', 'VQNeck', 'ResidualVQNeck', 'SugarRecognizer', 'KnowledgeContrastHead', 'ConSEHead',
            'LinearBridge', 'MLPBridge', 'CrossAttentionBridge', 'QFormerBridge', 'TemporalQueryProjection',
            'linear', 'xattn', 'qformer', 'tqp', 'SentenceTextEncoder', 'CLIPTextEncoder'],
    DATASETS=['SkeletonDataset'],
    TRANSFORMS=['FastPreNormalize3D', 'RandomRotateScale3D', 'RandomMirror3D'],
    METRICS=['LLMRecognitionMetric', 'ZeroShotMetric'],
    HOOKS=['ExportEncoderHook', 'EpochSeedHook', 'BridgeWarmupHook'])


def mmaction_nodes():
    return {name: reg for name, reg in vars(mmaction_registry).items()
            if isinstance(reg, Registry) and reg.scope == 'mmaction'}


def test_one_sugar_mm_node_under_each_mmaction_node():
    nodes = mmaction_nodes()
    assert {'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'VISUALIZERS', 'LOOPS'} <= set(nodes)
    for name, parent in nodes.items():
        ours = getattr(sugar_registry, name)
        assert ours.scope == 'sugar_mm' and ours.parent is parent and parent.children['sugar_mm'] is ours, name
        # the parent's lazy imports are ours too (a child's lookup does not run them); FUNCTION's one is broken
        importable = [loc for loc in parent._locations if importlib.util.find_spec(loc) is not None]
        assert set(importable) <= set(ours._locations), name


def test_our_components_are_in_our_registries_only():
    for name, types in OURS.items():
        ours, theirs = getattr(sugar_registry, name), getattr(mmaction_registry, name)
        assert set(types) <= set(ours.module_dict), name
        assert not set(types) & set(theirs.module_dict), f'{name}: registered into mmaction\'s registry'
    assert MODELS.get('LLMHead') is not None  # ours, or mmaction's through the fallback
    # TextBank is a helper the heads build directly, not a model
    assert all('TextBank' not in r.module_dict for r in (MODELS, mmaction_registry.MODELS, MMENGINE_MODELS))


def test_default_runtime_uses_the_sugar_mm_scope():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_scope == 'sugar_mm' and cfg.custom_imports.imports == ['sugar_mm']


def test_one_config_tree_mixes_both_libraries():
    """Under sugar_mm's scope (conftest), a Runner's root-registry build resolves every unprefixed name."""
    assert DefaultScope.get_current_instance().scope_name == 'sugar_mm'
    # mmaction's recognizer and head around sugar_mm's backbone (RecognizerGCN builds its parts itself)
    model = MMENGINE_MODELS.build(dict(type='RecognizerGCN', backbone=TINY_CTRGCN, cls_head=GCN_HEAD))
    assert type(model).__module__.startswith('mmaction.') and isinstance(model.backbone, CTRGCN)
    assert type(model.cls_head).__name__ == 'GCNHead' and type(model.cls_head).__module__.startswith('mmaction.')
    # sugar_mm's recognizer around mmaction's head and data preprocessor, built through mmaction's registry
    model = mmaction_registry.MODELS.build(dict(type='SugarRecognizer', backbone=TINY_CTRGCN, cls_head=GCN_HEAD))
    assert type(model).__module__.startswith('sugar_mm.') and isinstance(model.backbone, CTRGCN)
    assert type(model.cls_head).__module__.startswith('mmaction.')
    assert type(model.data_preprocessor).__name__ == 'ActionDataPreprocessor'
    # mmaction's backbone inside sugar_mm's recognizer (which checks the backbone class the build will make)
    model = MODELS.build(dict(type='SugarRecognizer', backbone=dict(type='STGCN', graph_cfg=GRAPH, base_channels=4,
                                                                      num_stages=2, num_person=1),
                              cls_head=dict(GCN_HEAD, in_channels=8)))
    assert type(model.backbone).__name__ == 'STGCN' and model.backbone.down_stages == []


def test_mmaction_scope_needs_the_sugar_mm_prefix():
    with DefaultScope.overwrite_default_scope('mmaction'):
        mm_models = mmaction_registry.MODELS
        assert mm_models.get('CTRGCN') is None  # a parent does not search its children
        with pytest.raises(KeyError, match='CTRGCN'):
            mm_models.build(TINY_CTRGCN)
        assert type(mm_models.build(dict(TINY_CTRGCN, type='sugar_mm.CTRGCN'))) is CTRGCN
        model = MMENGINE_MODELS.build(dict(type='RecognizerGCN', backbone=dict(TINY_CTRGCN, type='sugar_mm.CTRGCN'),
                                           cls_head=GCN_HEAD))
        assert isinstance(model.backbone, CTRGCN)
        # a sugar_mm component that builds sugar_mm parts inside itself needs _scope_ (as MMEngine documents)
        with pytest.raises(KeyError, match='unknown backbone type'):
            mm_models.build(dict(type='sugar_mm.SugarRecognizer', backbone=TINY_CTRGCN, cls_head=GCN_HEAD))
        model = mm_models.build(dict(type='SugarRecognizer', _scope_='sugar_mm', backbone=TINY_CTRGCN,
                                     cls_head=GCN_HEAD))
        assert isinstance(model.backbone, CTRGCN)
        # the other registries alike
        assert type(mmaction_registry.HOOKS.build(dict(type='sugar_mm.EpochSeedHook'))) is HOOKS.get('EpochSeedHook')
        assert type(mmaction_registry.TRANSFORMS.build(dict(type='sugar_mm.RandomRotateScale3D'))) is \
            TRANSFORMS.get('RandomRotateScale3D')
        metric = mmaction_registry.METRICS.build(dict(type='sugar_mm.ZeroShotMetric', unseen=['bend']))
        assert type(metric) is METRICS.get('ZeroShotMetric')


@pytest.fixture
def mmaction_ctrgcn():
    """mmaction's ``projects/ctrgcn`` registers a ``CTRGCN`` into mmaction's MODELS. The 1.2.0 wheel does not ship
    ``projects/``, so a stand-in plays it (and is removed afterwards)."""
    mm_models = mmaction_registry.MODELS
    if 'CTRGCN' in mm_models.module_dict:  # the real project is imported
        yield mm_models.module_dict['CTRGCN']
        return

    class ProjectCTRGCN:  # stand-in for projects/ctrgcn/models/ctrgcn.py

        def __init__(self, **kwargs):
            self.kwargs = kwargs

    mm_models.register_module(name='CTRGCN', module=ProjectCTRGCN)
    try:
        yield ProjectCTRGCN
    finally:
        mm_models._module_dict.pop('CTRGCN')


def test_ctrgcn_name_clash_is_resolved_by_scope(mmaction_ctrgcn):
    assert mmaction_ctrgcn is not CTRGCN
    mm_models = mmaction_registry.MODELS
    # sugar_mm's scope: ours, unless named mmaction.CTRGCN
    assert type(MODELS.build(TINY_CTRGCN)) is CTRGCN
    assert type(MMENGINE_MODELS.build(TINY_CTRGCN)) is CTRGCN
    assert MODELS.get('mmaction.CTRGCN') is mmaction_ctrgcn and MODELS.get('sugar_mm.CTRGCN') is CTRGCN
    # mmaction's scope: theirs, unless named sugar_mm.CTRGCN
    with DefaultScope.overwrite_default_scope('mmaction'):
        assert type(mm_models.build(dict(type='CTRGCN'))) is mmaction_ctrgcn
        assert type(mm_models.build(dict(TINY_CTRGCN, type='sugar_mm.CTRGCN'))) is CTRGCN


def test_parent_lazy_imports_run_under_the_sugar_mm_scope():
    """``ActionVisualizer`` (default_runtime.py) lives in mmaction.visualization, which nothing imports before the
    Runner builds the visualizer; our node imports it for its parent (in a fresh interpreter)."""
    code = ('import sys, sugar_mm\n'
            'assert "mmaction.visualization" not in sys.modules\n'
            'from mmengine.registry import VISUALIZERS, init_default_scope\n'
            'init_default_scope("sugar_mm")\n'
            'print(VISUALIZERS.build(dict(type="ActionVisualizer", name="registry_test")).__class__.__name__)\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == 'ActionVisualizer'
