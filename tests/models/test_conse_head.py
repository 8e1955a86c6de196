import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample

from tests.conftest import tiny_text_encoder_cfg
from sugar_mm.registry import MODELS

SEEN = ['draw x', 'draw tick', 'forward kick', 'tennis swing', 'high throw']


def build(text_cache, **kw):
    torch.manual_seed(0)
    return MODELS.build(dict(type='ConSEHead', in_channels=8, train_class_names=SEEN,
                             text_encoder=tiny_text_encoder_cfg(), text_cache_dir=text_cache, top_t=2, **kw))


def test_trains_as_a_linear_classifier_on_seen_classes(text_cache):
    head = build(text_cache)
    assert not head.zero_shot and head.num_classes == 5
    x = torch.randn(4, 1, 8, 3, 20)
    ds = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(4)]
    losses = head.loss(x, ds)
    assert 'loss_cls' in losses and 'top1_acc' in losses
    out = head.predict(x, [ActionDataSample().set_gt_label(torch.tensor([0])) for _ in range(4)])
    assert torch.allclose(out[0].pred_score, head(x[:1]).softmax(-1)[0], atol=1e-6)


def test_scores_unseen_classes_by_conse(text_cache):
    seen_head = build(text_cache)
    unseen = ['draw circle', 'side kick', 'tennis serve']
    head = build(text_cache, class_names=unseen)
    head.load_state_dict(seen_head.state_dict())  # a checkpoint trained on the seen classes loads as is
    assert head.zero_shot
    x = torch.randn(2, 1, 8, 3, 20)
    out = head.predict(x, [ActionDataSample().set_gt_label(torch.tensor([0])) for _ in range(2)])
    assert out[0].pred_score.shape == (3, )
    # by hand: probability-weighted mean of the top-2 seen name embeddings, cosine to the unseen names
    prob = seen_head(x).softmax(-1)
    top = prob.topk(2, dim=-1)
    emb = (top.values.unsqueeze(-1) * head.seen_names[top.indices]).sum(1) / top.values.sum(1, True)
    ranking = (F.normalize(emb, dim=-1) @ head.test_names.t()).argsort(dim=1, descending=True)
    got = torch.stack([o.pred_score for o in out]).argsort(dim=1, descending=True)
    assert torch.equal(ranking, got)


def test_zero_shot_class_list_from_the_cli_helper(text_cache):
    """``tools/test.py --classes`` / ``init_recognizer(class_names=...)`` retarget a ConSE head by its names only
    (it has no knowledge file and no unknown classes to allow)."""
    from sugar_mm.models.heads.retarget import head_init_args, retarget_head
    cfg = dict(type='ConSEHead', in_channels=8, train_class_names=SEEN, text_encoder=tiny_text_encoder_cfg(),
               text_cache_dir=text_cache, top_t=2)
    assert 'class_names' in head_init_args(cfg)
    assert not {'knowledge', 'allow_unknown_classes'} & set(head_init_args(cfg))
    retarget_head(cfg, ['draw circle', 'side kick'], knowledge='msr_action3d')
    assert cfg['class_names'] == ['draw circle', 'side kick'] and 'allow_unknown_classes' not in cfg
    assert 'knowledge' not in cfg
    head = MODELS.build(cfg)
    assert head.zero_shot and head.test_names.shape[0] == 2
