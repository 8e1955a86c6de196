"""LLMHead with a tiny Llama (LlamaConfig, random weights, SmolLM2's tokenizer) + LoRA: nothing downloaded."""
import io
import random

import pytest
import torch
import torch.nn.functional as F
from sugar_mm.registry import MODELS
from mmaction.structures import ActionDataSample

from tests.conftest import tiny_llm_cfg


def build_head(**kw):
    torch.manual_seed(0)
    cfg = dict(type='LLMHead', in_channels=16, llm=tiny_llm_cfg(), class_names='msr_action3d',
               knowledge='msr_action3d', bridge=dict(type='tqp', num_queries=4, width=32, depth=1, num_heads=4),
               lora=dict(r=4, alpha=8, dropout=0.0), token_layout='time', max_new_tokens=12)
    cfg.update(kw)
    return MODELS.build(cfg)


def samples(labels):
    return [ActionDataSample().set_gt_label(torch.tensor([y])) for y in labels]


def reference_answer_ce(head, feats, answers):
    """Per-token cross-entropy of each answer after its prompt, from one plain full-sequence forward per sample."""
    with torch.no_grad():
        prompt = head.prompt_embeds(head.action_tokens(feats), head.class_names)
        L = prompt.shape[1]
        ces = []
        for i, a in enumerate(answers):
            emb = torch.cat([prompt[i], head.lm.embed_ids(a, 'cpu')])[None]
            logits = head.lm.lm_head(head.lm.decoder(inputs_embeds=emb).last_hidden_state)[0]
            ces.append(F.cross_entropy(logits[L - 1:L - 1 + len(a)], torch.tensor(a), reduction='none'))
    return ces


@pytest.fixture(scope='module')
def head():
    return build_head()


def test_only_bridge_and_lora_are_trainable(head):
    trainable = [n for n, p in head.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('bridge.') or 'lora_' in n for n in trainable)
    assert any('lora_' in n for n in trainable) and any(n.startswith('bridge.') for n in trainable)
    frozen = [n for n, p in head.named_parameters() if not p.requires_grad]
    assert all(n.startswith('llm.') and 'lora_' not in n for n in frozen)


def test_loss_is_on_answer_tokens_only_and_gets_gradients_where_expected():
    head = build_head()
    feats = torch.randn(2, 1, 16, 6, 20)
    random.seed(0)
    out = head.loss(feats, samples([0, 7]))
    assert set(out) == {'loss_lm', 'answer_token_acc', 'first_token_acc'}
    out['loss_lm'].backward()
    assert head.bridge.out_proj.weight.grad is not None
    lora_grads = [p.grad for n, p in head.named_parameters() if 'lora_B' in n]
    assert lora_grads and all(g is not None and g.abs().sum() > 0 for g in lora_grads)
    assert all(p.grad is None for n, p in head.named_parameters() if not p.requires_grad)
    # reference: full sequence forward, cross-entropy over the answer tokens only (prompt/action/pad ignored)
    random.seed(0)
    answers = [head.prompt.answer_ids(head.answer_text(y)) for y in (0, 7)]
    ces = reference_answer_ce(head, feats, answers)
    total, count = sum(float(ce.sum()) for ce in ces), sum(len(ce) for ce in ces)
    assert abs(out['loss_lm'].item() - total / count) < 1e-4


def test_class_token_weight_weights_exactly_the_class_tokens():
    """loss = sum(w_i * ce_i) / sum(w_i) with w = class_token_weight on the tokens of "{class}." only."""
    feats = torch.randn(2, 1, 16, 6, 20)
    plain, weighted = build_head(), build_head(loss_cls=dict(type='AnswerLoss', class_token_weight=4.0))
    random.seed(0)
    answers = [plain.prompt.answer_ids(plain.answer_text(y)) for y in (3, 11)]
    n_cls = [len(plain.prompt.candidate_ids(plain.class_names[y])) for y in (3, 11)]
    assert all(a[:n] == plain.prompt.candidate_ids(plain.class_names[y])
               for a, n, y in zip(answers, n_cls, (3, 11)))
    num, den = 0.0, 0.0
    for n, ce in zip(n_cls, reference_answer_ce(plain, feats, answers)):
        w = torch.ones(len(ce))
        w[:n] = 4.0
        num += float((w * ce).sum())
        den += float(w.sum())
    random.seed(0)
    with torch.no_grad():
        got = weighted.loss(feats, samples([3, 11]))['loss_lm'].item()
    assert abs(got - num / den) < 1e-4
    with pytest.raises(ValueError, match='class_token_weight'):
        build_head(loss_cls=dict(type='AnswerLoss', class_token_weight=0))


def test_align_loss_is_the_name_embedding_infonce_and_trains_only_the_bridge():
    """loss_align = w * CE(cos(mean action token, mean name-token embedding) / tau, label); off by default."""
    head = build_head(loss_align=dict(type='NameAlignmentLoss', loss_weight=0.5, temperature=0.2))
    feats = torch.randn(3, 1, 16, 6, 20)
    labels = [2, 9, 17]
    out = head.loss(feats, samples(labels))
    assert {'loss_lm', 'loss_align', 'align_acc'} <= set(out)
    # reference, from the tokenizer and the embedding table directly
    table = head.lm.input_embeddings.weight.detach()
    names = torch.stack([table[head.tokenizer(' ' + n, add_special_tokens=False)['input_ids']].mean(0)
                         for n in head.class_names])
    with torch.no_grad():
        pooled = head.action_tokens(feats).mean(1)
    logits = F.normalize(pooled, dim=-1) @ F.normalize(names, dim=-1).t() / 0.2
    expected = 0.5 * F.cross_entropy(logits, torch.tensor(labels))
    assert abs(out['loss_align'].item() - expected.item()) < 1e-5
    assert out['align_acc'].item() == (logits.argmax(-1) == torch.tensor(labels)).float().mean().item()
    out['loss_align'].backward()
    assert head.bridge.out_proj.weight.grad.abs().sum() > 0
    assert all(p.grad is None for n, p in head.named_parameters() if 'lora_' in n)  # no LLM forward involved
    assert 'loss_align' not in build_head().loss(feats, samples(labels))
    with pytest.raises(ValueError, match='loss_weight'):
        build_head(loss_align=dict(type='NameAlignmentLoss', loss_weight=-1))


def test_align_only_trains_the_bridge_without_running_the_llm():
    head = build_head(loss_align=dict(type='NameAlignmentLoss'))
    calls = []
    handle = head.lm.decoder.register_forward_hook(lambda *a: calls.append(1))
    feats = torch.randn(2, 1, 16, 6, 20)
    head.align_only = True
    out = head.loss(feats, samples([1, 4]))
    assert set(out) == {'loss_align', 'align_acc'} and not calls
    out['loss_align'].backward()
    assert head.bridge.query.grad.abs().sum() > 0
    lora = [p.grad for n, p in head.named_parameters() if 'lora_' in n]
    assert lora and all(g is not None and not g.any() for g in lora)  # in the graph (DDP), zero gradient
    head.align_only = False
    assert 'loss_lm' in head.loss(feats, samples([1, 4])) and calls
    handle.remove()
    plain = build_head()
    plain.align_only = True
    with pytest.raises(RuntimeError, match='loss_align'):
        plain.loss(feats, samples([1, 4]))


def test_loss_falls_on_a_fixed_batch():
    head = build_head()
    feats = torch.randn(3, 1, 16, 6, 20)
    ds = samples([0, 5, 19])
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad], lr=3e-2)
    losses = []
    for _ in range(25):
        random.seed(1)  # same brief sampled each step
        loss = head.loss(feats, ds)['loss_lm']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # a 2-layer random LLM with a 49k vocabulary moves slowly, but steadily
    assert losses[-1] < losses[0] - 0.1, losses
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 20, losses


@pytest.mark.parametrize('template,score_mode', [('sugar', 'likelihood'), ('sugar_list_first', 'constrained')])
def test_shared_prefix_is_exact(template, score_mode):
    a = build_head(prompt=dict(template=template), score_mode=score_mode)
    b = build_head(prompt=dict(template=template), score_mode=score_mode, share_prompt_prefix=False)
    b.load_state_dict(a.state_dict())
    feats = torch.randn(2, 1, 16, 6, 20)
    random.seed(3)
    la = a.loss(feats, samples([1, 2]))['loss_lm']
    random.seed(3)
    lb = b.loss(feats, samples([1, 2]))['loss_lm']
    assert torch.allclose(la, lb, atol=1e-5)
    with torch.no_grad():
        act = a.action_tokens(feats)
        assert torch.allclose(a.score_classes(act, a.class_names), b.score_classes(act, b.class_names), atol=1e-4)


def test_tree_scores_equal_full_forward_loglik():
    head = build_head(score_mode='likelihood').eval()
    feats = torch.randn(2, 1, 16, 6, 20)
    with torch.no_grad():
        act = head.action_tokens(feats)
        scores = head.score_classes(act, head.class_names)
        prompt = head.prompt_embeds(act, head.class_names)
        L = prompt.shape[1]
        for j in (0, 6, 7, 8, 19):  # includes the shared "draw ..." prefixes
            ids = head.prompt.candidate_ids(head.class_names[j])
            full = torch.cat([prompt, head.lm.embed_ids(ids, 'cpu')[None].expand(2, -1, -1)], 1)
            lp = torch.log_softmax(head.lm.lm_head(head.lm.decoder(inputs_embeds=full).last_hidden_state), -1)
            ref = sum(lp[:, L - 1 + t, ids[t]] for t in range(len(ids)))
            assert torch.allclose(scores[:, j], ref, atol=1e-4)
    tree = head.candidate_trie(head.class_names)
    assert tree.node_tokens.numel() < int(tree.lengths.sum()) - len(head.class_names)  # prefixes shared


def test_constrained_scores_are_the_trie_constrained_decoding_distribution():
    """score_mode='constrained': per class, the product over its tokens of the next-token softmax restricted to
    the continuations that still spell some class, each from a plain full forward of prompt + prefix."""
    head = build_head(score_mode='constrained').eval()
    names = head.class_names
    cands = [head.prompt.candidate_ids(n) for n in names]
    feats = torch.randn(2, 1, 16, 6, 20)
    with torch.no_grad():
        act = head.action_tokens(feats)
        scores = head.score_classes(act, names)
        prompt = head.prompt_embeds(act, names)
        L = prompt.shape[1]
        for j in (0, 6, 7, 8, 12, 19):  # includes the branching "draw x / draw tick / draw circle"
            ids = cands[j]
            full = torch.cat([prompt, head.lm.embed_ids(ids, 'cpu')[None].expand(2, -1, -1)], 1)
            logits = head.lm.lm_head(head.lm.decoder(inputs_embeds=full).last_hidden_state)
            ref = torch.zeros(2)
            for t in range(len(ids)):
                allowed = sorted({c[t] for c in cands if len(c) > t and c[:t] == ids[:t]})
                lp = torch.log_softmax(logits[:, L - 1 + t, allowed], -1)
                ref += lp[:, allowed.index(ids[t])]
            assert torch.allclose(scores[:, j], ref, atol=1e-4), (j, scores[:, j], ref)
    assert torch.allclose(scores.exp().sum(-1), torch.ones(2), atol=1e-5)  # a distribution over the classes
    tree = head.candidate_trie(names)
    assert 0 < tree.branch.keep.numel() < tree.node_tokens.numel()  # only the branching prefixes are fed
    # all-distinct first tokens: nothing but the prompt forward is needed
    head2 = build_head(score_mode='constrained', class_names=['golf swing', 'bend', 'jogging'])
    assert head2.candidate_trie(head2.class_names).branch.keep.numel() == 0
    with torch.no_grad():
        s2 = head2.score_classes(head2.action_tokens(feats), head2.class_names)
    assert s2.shape == (2, 3) and torch.allclose(s2.exp().sum(-1), torch.ones(2), atol=1e-5)
    with pytest.raises(ValueError, match='score_mode'):
        build_head(score_mode='beam')
    with pytest.raises(ValueError, match='score_length_norm'):
        build_head(score_mode='constrained', score_length_norm=True)


@pytest.mark.parametrize('constrain', [True, False])
def test_cached_greedy_decoding_matches_hf_generate(head, constrain):
    """The answers equal HF ``generate``'s, given the same logits processor (constrained, the default) or none."""
    from transformers import LogitsProcessorList
    head.eval()
    head.constrain_answers = constrain
    feats = torch.randn(2, 1, 16, 6, 20)
    processors = LogitsProcessorList([head.answer_constraint(head.class_names)] if constrain else [])
    try:
        with torch.no_grad():
            act = head.action_tokens(feats)
            ours = head.generate(act, head.class_names)
            prompt = head.prompt_embeds(act, head.class_names)
            out = head.llm.generate(inputs_embeds=prompt,
                                    attention_mask=torch.ones(prompt.shape[:2], dtype=torch.long),
                                    max_new_tokens=12, do_sample=False, pad_token_id=head.tokenizer.pad_token_id,
                                    eos_token_id=head.prompt.eos_token_id, logits_processor=processors)
    finally:
        head.constrain_answers = True
    assert ours == [t.strip() for t in head.tokenizer.batch_decode(out, skip_special_tokens=True)]
    assert all(isinstance(t, str) and t for t in ours)


def test_predict_fills_scores_text_and_parse(head):
    head.eval()
    ds = head.predict(torch.randn(4, 1, 16, 6, 20), samples([3, 4]))  # 2 samples x 2 clips
    for d in ds:
        assert d.pred_score.shape == (20, ) and abs(float(d.pred_score.sum()) - 1) < 1e-4
        assert int(d.pred_label) == int(d.pred_score.argmax())
        assert isinstance(d.pred_text, str)
        assert d.parse_path in ('exact', 'normalized', 'nearest', 'failed')
        assert (d.pred_text_label == -1) == (d.parse_path == 'failed')


def test_predict_reports_the_alignment_classifier_alone():
    torch.manual_seed(0)
    head = build_head(loss_align=dict(type='NameAlignmentLoss', temperature=0.2)).eval()
    feats = torch.randn(4, 1, 16, 6, 20)  # 2 samples x 2 clips
    ds = head.predict(feats, samples([3, 4]))
    with torch.no_grad():
        action = head.action_tokens(feats)
        logits = head.loss_align.logits(action, head.class_name_embeddings(head.class_names, action.device))
    expected = logits.softmax(-1).view(2, 2, -1).mean(1)
    for d, e in zip(ds, expected):
        torch.testing.assert_close(d.pred_align_score, e)
    assert 'pred_align_score' not in build_head().eval().predict(feats, samples([3, 4]))[0]


def test_zero_shot_class_list_and_unknown_names():
    head = build_head(class_names=['draw circle', 'side kick', 'juggling fire'], allow_unknown_classes=True)
    head.eval()
    ds = head.predict(torch.randn(1, 1, 16, 6, 20), samples([0]))
    assert ds[0].pred_score.shape == (3, )
    with pytest.raises(KeyError, match='missing from knowledge'):
        build_head(class_names=['draw circle', 'juggling fire'])
    with pytest.raises(ValueError, match='non-empty'):
        build_head(class_names=[])


def test_checkpoint_holds_only_trained_weights(head):
    from sugar_mm.registry import MODELS as M
    model = M.build(dict(type='SugarRecognizer', keep_temporal_resolution=True, freeze_encoder=True,
                         backbone=dict(type='CTRGCN', graph_cfg=dict(layout='kinect_v1', mode='spatial'),
                                       num_person=1, base_channels=8, num_stages=2, inflate_stages=[],
                                       down_stages=[]),
                         cls_head=dict(type='LLMHead', in_channels=8, llm=tiny_llm_cfg(), class_names='msr_action3d',
                                       knowledge='msr_action3d', bridge=dict(type='tqp', num_queries=4, width=32,
                                                                             depth=1, num_heads=4),
                                       lora=dict(r=4, alpha=8, dropout=0.0), token_layout='time')))
    state = model.state_dict()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(state) == trainable  # no frozen LLM, no frozen encoder
    buf = io.BytesIO()
    torch.save(state, buf)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_total = sum(p.numel() for p in model.parameters())
    assert n_trainable < n_total / 10
    assert buf.tell() < 4 * n_trainable + 200_000  # float32 trainable tensors + pickle overhead, nothing else
    # and the model loads it back (frozen parts come from their own sources)
    model.load_state_dict(state)


def test_gradient_checkpointing_still_trains_lora():
    a = build_head()
    b = build_head(gradient_checkpointing=True)
    b.load_state_dict(a.state_dict())
    a.train()
    b.train()
    feats = torch.randn(2, 1, 16, 6, 20)
    random.seed(5)
    a.loss(feats, samples([2, 9]))['loss_lm'].backward()
    random.seed(5)
    b.loss(feats, samples([2, 9]))['loss_lm'].backward()
    assert b.lm.decoder.gradient_checkpointing and not a.lm.decoder.gradient_checkpointing
    for (n, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        if 'lora_B' in n:
            assert pb.grad is not None and torch.allclose(pa.grad, pb.grad, atol=1e-6), n


@pytest.mark.parametrize('score_mode', ['likelihood', 'constrained'])
def test_bf16_autocast_trains_and_scores(score_mode):
    """The GPU recipe's autocast path (bf16), run on the CPU: the loss trains LoRA and the bridge, and the
    scores stay close to the float32 ones."""
    a = build_head(score_mode=score_mode)
    b = build_head(score_mode=score_mode, autocast_dtype='bfloat16')
    b.load_state_dict(a.state_dict())
    feats = torch.randn(2, 1, 16, 6, 20)
    random.seed(4)
    out = b.loss(feats, samples([2, 9]))
    assert torch.isfinite(out['loss_lm'])
    out['loss_lm'].backward()
    assert b.bridge.out_proj.weight.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in b.named_parameters() if 'lora_B' in n)
    a.eval()
    b.eval()
    with torch.no_grad():
        ref = a.score_classes(a.action_tokens(feats), a.class_names).log_softmax(-1)
        ds = b.predict(feats, samples([2, 9]))
    got = torch.stack([d.pred_score for d in ds])
    assert got.dtype == torch.float32 and torch.isfinite(got).all()
    assert (got.log() - ref).abs().max() < 0.25


def test_builds_with_its_losses_under_mmaction_scope():
    """A config with default_scope='mmaction' names the head 'sugar_mm.LLMHead'; its losses still resolve."""
    from mmaction.registry import MODELS as MMACTION_MODELS
    from mmengine.registry import DefaultScope
    cfg = dict(type='sugar_mm.LLMHead', in_channels=16, llm=tiny_llm_cfg(), class_names=['a b', 'c'],
               bridge=dict(type='linear'), lora=None, token_layout='time',
               loss_cls=dict(type='AnswerLoss', class_token_weight=2.0), loss_align=dict(type='NameAlignmentLoss'))
    with DefaultScope.overwrite_default_scope('mmaction'):
        head = MMACTION_MODELS.build(cfg)
    assert type(head.loss_cls).__name__ == 'AnswerLoss' and head.loss_cls.class_token_weight == 2.0
    assert type(head.loss_align).__name__ == 'NameAlignmentLoss'
