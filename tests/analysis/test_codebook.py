"""Codebook statistics (sugar_mm/analysis/codebook.py): hand-made codes, and the codes of a tiny VQ recognizer."""
import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.registry import DefaultScope

from sugar_mm.analysis.codebook import codebook_sizes, codebook_stats, collect_codes
from sugar_mm.registry import MODELS


def test_one_code_per_class_is_fully_informative():
    # 3 classes, 2 samples each; class c always codes c: 3 of 8 codes used, equally often
    labels = np.array([0, 0, 1, 1, 2, 2])
    codes = [np.full((2, 5), y) for y in labels]
    s = codebook_stats(codes, labels, num_codes=8)
    assert (s.used, s.num_tokens) == (3, 60)
    assert s.usage == pytest.approx(3 / 8)
    assert s.perplexity == pytest.approx(3.0)
    assert s.class_nmi == pytest.approx(1.0)
    assert s.codes_per_sample == 1.0


def test_codes_shared_by_every_class_say_nothing_and_one_code_has_perplexity_one():
    labels = np.array([0, 1, 2, 3])
    shared = [np.arange(4).repeat(3) for _ in labels]  # every sample: codes 0..3, 3 tokens each
    s = codebook_stats(shared, labels, num_codes=4)
    assert s.class_nmi == pytest.approx(0.0, abs=1e-12)
    assert s.perplexity == pytest.approx(4.0) and s.usage == 1.0 and s.codes_per_sample == 4.0
    single = codebook_stats([np.zeros(7, dtype=int) for _ in labels], labels, num_codes=4)
    assert single.perplexity == pytest.approx(1.0) and single.used == 1 and single.class_nmi == pytest.approx(0)


def test_bad_codes_raise():
    with pytest.raises(ValueError, match=r'\[0, 4\)'):
        codebook_stats([np.array([0, 4])], np.array([0]), num_codes=4)
    with pytest.raises(ValueError, match='2 samples of codes but 1 labels'):
        codebook_stats([np.array([0]), np.array([1])], np.array([0]), num_codes=4)


def _recognizer(neck=True):
    cfg = dict(type='SugarRecognizer',
               backbone=dict(type='CTRGCN', graph_cfg=dict(layout='kinect_v1', mode='spatial'), base_channels=8,
                             num_stages=3),
               cls_head=dict(type='GCNHead', num_classes=20, in_channels=8))
    if neck:
        cfg['neck'] = dict(type='ResidualVQNeck', in_channels=8, num_quantizers=2, num_codes=16)
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        return MODELS.build(cfg).eval()


def _items(n, clips=2, t=6):
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        ds = ActionDataSample()
        ds.set_gt_label(i % 3)
        out.append(dict(inputs=torch.randn(clips, 1, t, 20, 3, generator=g), data_samples=ds))
    return out


def test_collect_codes_are_the_necks_codes_per_sample_and_quantiser():
    torch.manual_seed(0)
    model = _recognizer()
    with torch.no_grad():  # initialise the codebooks from data, as the first training step does
        model.train()
        model.extract_feat(torch.stack([it['inputs'] for it in _items(4)]))
        model.eval()
    items = _items(5)
    got = collect_codes(model, items, batch_size=2)  # batches of 2, 2, 1
    assert got['num_codes'] == codebook_sizes(model.neck) == [16, 16]
    assert got['labels'].tolist() == [0, 1, 2, 0, 1]
    assert len(got['codes']) == 2 and len(got['codes'][0]) == 5
    with torch.no_grad():
        feats, _ = model.extract_feat(items[3]['inputs'][None], stage='backbone', test_mode=True)
        expected = model.neck.encode(feats).numpy()  # (clips, M, T, V, Q)
    for q in range(2):
        np.testing.assert_array_equal(got['codes'][q][3], expected[..., q])
    stats = codebook_stats(got['codes'][0], got['labels'], 16)
    assert stats.num_tokens == 5 * 2 * 1 * 6 * 20


def test_collect_codes_needs_a_vq_neck():
    with pytest.raises(ValueError, match='no neck'):
        collect_codes(_recognizer(neck=False), _items(1))
