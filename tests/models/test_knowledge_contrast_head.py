"""KnowledgeContrastHead (sugar_mm/models/heads/knowledge_contrast_head.py) with a tiny random text encoder over
the shipped MSR Action3D knowledge (20 classes, one motion and three visual texts each)."""
import pytest
import torch
from mmaction.structures import ActionDataSample

from tests.conftest import tiny_text_encoder_cfg
from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.models.heads import KnowledgeContrastHead
from sugar_mm.registry import MODELS

C = 8
MSR_NAMES = load_label_map('msr_action3d')


def build(text_cache, **kwargs):
    cfg = dict(type='KnowledgeContrastHead', in_channels=C, text_encoder=tiny_text_encoder_cfg(),
               knowledge='msr_action3d', class_names='msr_action3d', text_cache_dir=text_cache)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(labels):
    out = []
    for label in labels:
        ds = ActionDataSample()
        ds.set_gt_label(int(label))
        out.append(ds)
    return out


def feats(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, C, 4, 5, generator=g)  # (N, M, C, T, V)


def train(head, x, labels, steps=30, lr=0.05):
    opt = torch.optim.Adam([p for p in head.parameters() if p.requires_grad], lr=lr)
    history = []
    ds = samples(labels)
    for _ in range(steps):
        losses = head.loss(x, ds)
        total = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(total.item())
    return history


# ---------------------------------------------------------------------------------------------------------
def test_built_with_msr_knowledge(text_cache):
    head = build(text_cache)
    assert isinstance(head, KnowledgeContrastHead)
    assert head.num_classes == 20
    assert head.class_names == MSR_NAMES
    assert head.text_dim == 32  # the tiny BERT's width
    assert head.motion_emb.shape == (20, 32)
    assert head.motion_cls.tolist() == list(range(20))
    assert head.visual_emb.shape == (60, 32)
    assert torch.bincount(head.visual_cls).tolist() == [3] * 20
    assert head.prototypes.shape == (20, 32)
    torch.testing.assert_close(head.prototypes.norm(dim=1), torch.ones(20))


def test_loss_keys(text_cache):
    torch.manual_seed(0)
    head = build(text_cache)
    losses = head.loss(feats(4), samples([0, 3, 7, 19]))
    assert {k for k in losses if 'loss' in k} == {'loss_milnce'}
    assert 'top1_acc' in losses and 'top5_acc' in losses
    assert losses['loss_milnce'].requires_grad and losses['loss_milnce'].item() > 0
    assert losses['temperature'].item() == pytest.approx(0.07, rel=1e-5)
    assert not losses['temperature'].requires_grad
    assert 0 <= losses['top1_acc'].item() <= 1


def test_loss_keys_with_ce(text_cache):
    torch.manual_seed(0)
    head = build(text_cache, ce_weight=0.5)
    losses = head.loss(feats(4), samples([0, 3, 7, 19]))
    assert {k for k in losses if 'loss' in k} == {'loss_milnce', 'loss_ce'}
    # loss_ce is ce_weight * cross-entropy of the linear classifier on the pooled feature
    pooled = feats(4).mean(dim=(3, 4)).mean(dim=1)
    expected = 0.5 * torch.nn.functional.cross_entropy(head.fc_cls(pooled), torch.tensor([0, 3, 7, 19]))
    torch.testing.assert_close(losses['loss_ce'], expected)
    assert all('loss' not in k for k in ('top1_acc', 'top5_acc', 'temperature'))


def test_milnce_matches_hand_computed_value_with_all_visual_texts(text_cache):
    """With num_visual_samples=0 the candidate set is fixed, so the loss can be recomputed from its parts."""
    torch.manual_seed(0)
    head = build(text_cache, num_visual_samples=0)
    x, labels = feats(3), torch.tensor([1, 4, 4])
    emb = torch.nn.functional.normalize(head.proj(x.mean(dim=(3, 4)).mean(dim=1)), dim=-1)
    texts = torch.cat([head.motion_emb, head.visual_emb])
    cls = torch.cat([head.motion_cls, head.visual_cls])
    logits = emb @ texts.t() / 0.07
    pos = cls[None] == labels[:, None]
    assert pos.sum(1).tolist() == [4, 4, 4]  # 1 motion + 3 visual texts each
    expected = -(torch.log((logits.exp() * pos).sum(1) / logits.exp().sum(1))).mean()
    loss = head.loss(x, samples(labels))['loss_milnce']
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)


def test_loss_decreases_on_fixed_batch(text_cache):
    torch.manual_seed(0)
    head = build(text_cache)
    x = feats(8)
    labels = [0, 2, 5, 7, 11, 13, 17, 19]
    history = train(head, x, labels, steps=30)
    assert history[-1] < 0.5 * history[0], history
    head.eval()
    pred = head.predict(x, samples(labels))
    assert sum(int(p.pred_label.item() == lbl) for p, lbl in zip(pred, labels)) >= 6


def test_gradients_reach_projection_and_temperature(text_cache):
    torch.manual_seed(0)
    head = build(text_cache)
    assert isinstance(head.logit_scale, torch.nn.Parameter)
    head.loss(feats(4), samples([0, 1, 2, 3]))['loss_milnce'].backward()
    assert head.proj.weight.grad.abs().sum() > 0
    assert head.proj.bias.grad.abs().sum() > 0
    assert head.logit_scale.grad is not None and head.logit_scale.grad.abs() > 0


def test_fixed_temperature_gets_no_gradient(text_cache):
    torch.manual_seed(0)
    head = build(text_cache, learnable_temperature=False, temperature=0.1)
    names = [n for n, _ in head.named_parameters()]
    assert 'logit_scale' not in names
    assert not head.logit_scale.requires_grad
    before = head.logit_scale.clone()
    train(head, feats(4), [0, 1, 2, 3], steps=3)
    assert head.logit_scale.grad is None
    torch.testing.assert_close(head.logit_scale, before)
    assert head.temperature.item() == pytest.approx(0.1, rel=1e-5)
    assert head.proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kinds,ce_weight,loss_keys', [
    (('motion', ), 1.0, {'loss_milnce', 'loss_ce'}),
    (('visual', ), 1.0, {'loss_milnce', 'loss_ce'}),
    ((), 1.0, {'loss_ce'}),
    (('motion', ), 0.0, {'loss_milnce'}),
])
def test_knowledge_ablations_train(text_cache, kinds, ce_weight, loss_keys):
    """Table 3 rows: no knowledge (CE only), visual only, motion only."""
    torch.manual_seed(0)
    head = build(text_cache, knowledge_types=kinds, ce_weight=ce_weight)
    x = feats(8)
    labels = [0, 2, 5, 7, 11, 13, 17, 19]
    losses = head.loss(x, samples(labels))
    assert {k for k in losses if 'loss' in k} == loss_keys
    texts, cls = head._training_texts() if kinds else (None, None)
    if kinds == ('motion', ):
        assert texts.shape == (20, 32) and cls.tolist() == list(range(20))
    elif kinds == ('visual', ):
        assert texts.shape == (40, 32) and torch.bincount(cls).tolist() == [2] * 20
    history = train(head, x, labels, steps=20)
    assert history[-1] < 0.7 * history[0], history
    head.eval()
    scores = head(x)
    assert scores.shape == (8, 20)


def test_no_knowledge_without_ce_raises(text_cache):
    with pytest.raises(ValueError, match='ce_weight'):
        build(text_cache, knowledge_types=())


def test_bad_knowledge_type_raises(text_cache):
    with pytest.raises(ValueError, match='knowledge_types'):
        build(text_cache, knowledge_types=('motion', 'audio'))


def test_no_knowledge_scores_are_the_classifier(text_cache):
    torch.manual_seed(0)
    head = build(text_cache, knowledge_types=(), ce_weight=1.0).eval()
    x = feats(3)
    torch.testing.assert_close(head(x), head.fc_cls(x.mean(dim=(3, 4)).mean(dim=1)))
    # the prototypes fall back to the class names
    assert head.prototypes.shape == (20, 32)


def test_predict_softmax_and_clip_average(text_cache):
    torch.manual_seed(0)
    head = build(text_cache).eval()
    train(head.train(), feats(8), [0, 2, 5, 7, 11, 13, 17, 19], steps=5)
    head.eval()
    n = 3
    x = feats(2 * n, seed=1)  # two clips per sample, consecutive
    with torch.no_grad():
        out = head.predict(x, samples([0, 1, 2]))
        scores = head(x)
    assert len(out) == n
    expected = scores.softmax(-1).view(n, 2, 20).mean(1)
    for i, ds in enumerate(out):
        assert ds.pred_score.shape == (20, )
        assert ds.pred_score.sum().item() == pytest.approx(1.0, abs=1e-5)
        torch.testing.assert_close(ds.pred_score, expected[i])
        assert ds.pred_label.item() == int(expected[i].argmax())
    # the two clips differ, so the average really mixes them
    assert not torch.allclose(expected[0], scores[0].softmax(-1))


def test_predict_scores_are_scaled_cosine_to_prototypes(text_cache):
    torch.manual_seed(0)
    head = build(text_cache, test_scoring='prototype').eval()
    x = feats(2)
    emb = torch.nn.functional.normalize(head.proj(x.mean(dim=(3, 4)).mean(dim=1)), dim=-1)
    torch.testing.assert_close(head(x), emb @ head.prototypes.t() / 0.07)


def test_mil_scores_are_log_mean_exp_over_each_class_texts(text_cache):
    """The default test scoring matches the training objective: log mean_t exp(s.t / tau) per class."""
    torch.manual_seed(0)
    head = build(text_cache).eval()
    assert head.test_scoring == 'mil'
    x = feats(2)
    emb = torch.nn.functional.normalize(head.proj(x.mean(dim=(3, 4)).mean(dim=1)), dim=-1)
    expected = torch.zeros(2, 20)
    for k in range(20):
        texts = torch.cat([head.motion_emb[head.motion_cls == k], head.visual_emb[head.visual_cls == k]])
        sims = emb @ texts.t() / 0.07
        expected[:, k] = torch.log(torch.exp(sims).mean(1))
    torch.testing.assert_close(head(x), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match='test_scoring'):
        build(text_cache, test_scoring='max')


@pytest.mark.parametrize('n,per_class', [(1, 1), (2, 2), (3, 3), (5, 3), (0, 3)])
def test_num_visual_samples_per_class(text_cache, n, per_class):
    torch.manual_seed(0)
    head = build(text_cache, num_visual_samples=n, knowledge_types=('visual', ))
    for _ in range(3):
        texts, cls = head._training_texts()
        assert torch.bincount(cls, minlength=20).tolist() == [per_class] * 20
        # drawn without replacement, and each text belongs to its class
        idx = torch.cdist(texts, head.visual_emb).argmin(1)
        assert idx.unique().numel() == idx.numel()
        assert torch.equal(head.visual_cls[idx], cls)


def test_num_visual_samples_with_uneven_counts_and_random_draws(text_cache):
    torch.manual_seed(0)
    head = build(text_cache, num_visual_samples=2)
    # replace the bank's visual texts by an uneven, shuffled set: class 0 has 4 texts, 1 has 1, 2 has 3
    vis_cls = torch.tensor([2, 0, 1, 0, 2, 0, 2, 0])
    head.visual_cls = vis_cls
    head.visual_emb = torch.eye(8, 32)  # text i is the unit vector e_i
    seen = set()
    for _ in range(20):
        texts, cls = head._training_texts()
        motion, vis = texts[:20], texts[20:]
        torch.testing.assert_close(motion, head.motion_emb)
        vis_idx = vis.argmax(1)
        assert torch.equal(vis_cls[vis_idx], cls[20:])
        assert torch.bincount(cls[20:], minlength=3).tolist() == [2, 1, 2]
        assert vis_idx.unique().numel() == vis_idx.numel()
        seen.add(tuple(sorted(vis_idx.tolist())))
    assert len(seen) > 1  # a random combination, not always the same texts


def test_text_embeddings_not_in_state_dict(text_cache):
    head = build(text_cache)
    keys = set(head.state_dict())
    assert keys == {'logit_scale', 'proj.weight', 'proj.bias'}
    for name in ('motion_emb', 'motion_cls', 'visual_emb', 'visual_cls', 'prototypes'):
        assert name in dict(head.named_buffers())
    assert set(build(text_cache, ce_weight=1.0).state_dict()) == keys | {'fc_cls.weight', 'fc_cls.bias'}


def test_zero_shot_new_class_names(text_cache):
    torch.manual_seed(0)
    head = build(text_cache)
    train(head, feats(8), [0, 2, 5, 7, 11, 13, 17, 19], steps=3)
    names = ['high arm wave', 'hammer', 'golf swing', 'juggling three balls']
    with pytest.raises(KeyError, match='allow_unknown_classes'):
        build(text_cache, class_names=names)
    zs = build(text_cache, class_names=names, allow_unknown_classes=True)
    assert zs.num_classes == 4 and zs.class_names == names
    zs.load_state_dict(head.state_dict())  # the same trained projection serves the new label list
    zs.eval()
    head.eval()
    x = feats(2)
    with torch.no_grad():
        out = zs.predict(x, samples([0, 3]))
        full = head(x)
    for ds in out:
        assert ds.pred_score.shape == (4, )
        assert ds.pred_score.sum().item() == pytest.approx(1.0, abs=1e-5)
    # the known classes' prototypes are the same as in the 20-class head
    torch.testing.assert_close(zs.prototypes[:3], head.prototypes[[0, 2, 18]])
    with torch.no_grad():
        torch.testing.assert_close(zs(x)[:, :3], full[:, [0, 2, 18]])


def test_zero_shot_class_list_from_the_cli_helper(text_cache):
    """``tools/test.py --classes`` retargets the head: new names, unknown ones allowed, optional knowledge."""
    from sugar_mm.models.heads.retarget import head_init_args, retarget_head
    cfg = dict(type='KnowledgeContrastHead', in_channels=C, text_encoder=tiny_text_encoder_cfg(),
               knowledge='msr_action3d', class_names='msr_action3d', text_cache_dir=text_cache)
    assert {'class_names', 'knowledge', 'allow_unknown_classes'} <= set(head_init_args(cfg))
    assert 'class_names' not in head_init_args(dict(type='GCNHead'))  # mmaction's head, through the fallback
    retarget_head(cfg, ['bend', 'moonwalk'], knowledge='msr_action3d')
    assert cfg['allow_unknown_classes'] is True and cfg['knowledge'] == 'msr_action3d'
    head = MODELS.build(cfg)
    assert head.class_names == ['bend', 'moonwalk'] and not hasattr(head, 'loss_cls')


def _mean_offdiag_cosine(t):
    s = t @ t.t()
    return s[~torch.eye(len(s), dtype=torch.bool)].mean().item()


def test_center_texts_spreads_the_texts_and_keeps_the_training_mean_for_zero_shot(text_cache):
    plain, centred = build(text_cache), build(text_cache, center_texts=True)
    assert 'text_center' not in plain.state_dict() and centred.state_dict()['text_center'].shape == (32, )
    raw = plain.texts(plain.all_texts)
    assert raw is plain.all_texts  # off: the texts as they are
    moved = centred.texts(centred.all_texts)
    torch.testing.assert_close(moved.norm(dim=-1), torch.ones(len(moved)))
    assert _mean_offdiag_cosine(moved) < _mean_offdiag_cosine(raw) - 0.05
    assert moved.mean(0).norm() < raw.mean(0).norm()  # the shared component is gone
    torch.manual_seed(0)
    hist = train(centred, feats(8), [0, 2, 5, 7, 11, 13, 17, 19], steps=20)
    assert hist[-1] < hist[0]
    # a head on another class list computes another mean, and loads the training classes' one
    zs = build(text_cache, class_names=['high arm wave', 'golf swing'], center_texts=True)
    assert not torch.allclose(zs.text_center, centred.text_center)
    zs.load_state_dict(centred.state_dict())
    torch.testing.assert_close(zs.text_center, centred.text_center)
    with torch.no_grad():
        centred.eval(), zs.eval()
        torch.testing.assert_close(zs(feats(2))[:, 0], centred(feats(2))[:, 0])
