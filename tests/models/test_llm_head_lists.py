"""LLMHead reading the list it is given: list-conditioned training, answers from the list, what is order-invariant.

A causal LLM reads the action list as text, so its scores for a list in two orders cannot be equal in general
(every name's hidden states depend on the names before it); what the design makes exact is tested here: the
scorers and the alignment classifier are permutation-equivariant for a fixed prompt, and every answer spells a
listed name. How far the trained model is from order-invariance is measured by ``tools/analysis/list_probe.py``.
"""
import random

import pytest
import torch

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.models.llm.action_lists import normalize_name
from tests.models.test_llm_head import build_head, samples

MSR = load_label_map('msr_action3d')


def test_training_prompts_follow_each_batch_list_and_the_losses_its_targets():
    head = build_head(train_lists=dict(pool='all', max_pool=10, seed=0),
                      loss_align=dict(type='NameAlignmentLoss', loss_weight=1.0, temperature=0.1))
    head.train()
    feats, labels = torch.randn(3, 1, 16, 6, 20), [2, 2, 9]
    seen = []
    real = head.prompt_parts
    head.prompt_parts = lambda action, names: seen.append(list(names)) or real(action, names)
    random.seed(0)
    for _ in range(3):
        out = head.loss(feats, samples(labels))
        assert {'loss_lm', 'loss_align', 'align_acc'} <= set(out) and torch.isfinite(out['loss_lm'])
    assert len({tuple(n) for n in seen}) == 3 and any(n != MSR for n in seen)
    assert all(MSR[2] in n and MSR[9] in n for n in seen)
    # the alignment loss is the cross-entropy over the batch's list, at the list positions of the true classes
    head.list_sampler.rng.seed(5)
    lst = head.list_sampler(labels)
    head.list_sampler.rng.seed(5)
    with torch.no_grad():
        action = head.action_tokens(feats)
        terms = head._align_terms(action, head.training_list(labels))
        logits = head.loss_align.logits(action, head.class_name_embeddings(lst.names, 'cpu'))
    ref = torch.nn.functional.cross_entropy(logits, torch.tensor(lst.targets))
    torch.testing.assert_close(terms['loss_align'], ref)
    head.eval()
    assert head.training_list([4]).names == MSR  # evaluation keeps the dataset's list


def test_alignment_targets_can_be_every_class_whatever_the_list():
    from sugar_mm.models.llm.action_lists import ActionList
    lst = ActionList(['golf', MSR[9], 'tennis', MSR[2]], [3, 3, 1])  # a batch's list: classes 2, 2, 9
    labels = [2, 2, 9]
    assert build_head().alignment_list(labels, lst) is lst  # default: the batch's list
    classes = build_head(align_targets='classes').alignment_list(labels, lst)
    assert classes.names == MSR and classes.targets == labels
    union = build_head(align_targets='classes+list').alignment_list(labels, lst)
    assert union.names == MSR + ['golf', 'tennis'] and union.targets == labels
    with pytest.raises(ValueError, match='align_targets'):
        build_head(align_targets='names')


def test_default_answers_name_a_listed_class_and_the_unconstrained_mode_stays():
    names = ['draw circle', 'side kick', 'tennis serve', 'golf swing']
    head = build_head(class_names=names, max_new_tokens=10)
    free = build_head(class_names=names, max_new_tokens=10, constrain_answers=False)
    head.eval(), free.eval()
    feats = torch.randn(12, 1, 16, 6, 20)
    with torch.no_grad():
        ds = head.predict(feats, samples([0] * 12))
        ds_free = free.predict(feats, samples([0] * 12))
    assert all(d.parse_path == 'exact' and 0 <= d.pred_text_label < 4 for d in ds), [d.pred_text for d in ds]
    assert all(any(d.pred_text.startswith(f'{n}.') for n in names) for d in ds)
    assert any(d.parse_path != 'exact' for d in ds_free)  # a random LLM rarely spells a name by itself


def test_scores_and_alignment_are_permutation_equivariant_for_a_fixed_prompt():
    head = build_head()
    head.eval()
    perm = torch.randperm(20, generator=torch.Generator().manual_seed(0))
    shuffled = [MSR[i] for i in perm]
    with torch.no_grad():
        action = head.action_tokens(torch.randn(3, 1, 16, 6, 20))
        state = head.encode_prompt(action, MSR)  # the same prompt, candidates in two orders
        for mode in ('constrained', 'likelihood'):
            head.score_mode = mode
            a, b = head.score_classes(action, MSR, state), head.score_classes(action, shuffled, state)
            torch.testing.assert_close(b, a[:, perm], atol=1e-5, rtol=1e-5)
        head.score_mode = 'constrained'
        align = build_head(loss_align=dict(type='NameAlignmentLoss', loss_weight=1.0, temperature=0.1)).loss_align
        la = align.logits(action, head.class_name_embeddings(MSR, 'cpu'))
        lb = align.logits(action, head.class_name_embeddings(shuffled, 'cpu'))
    torch.testing.assert_close(lb, la[:, perm])


def test_prompt_and_name_caches_stay_bounded_under_per_batch_lists():
    head = build_head(train_lists=dict(pool='all', max_pool=5, seed=0))
    head.train()
    for _ in range(40):
        head.prompt(head.list_sampler([0]).names)
    assert len(head.prompt._cache) <= head.prompt.cache_size
    pool = head.list_sampler.pool
    head.class_name_embeddings(pool[:7], 'cpu')
    head.class_name_embeddings(pool[3:9], 'cpu')
    assert len(head._name_embeddings) == 9
    assert not {normalize_name(n) for n in MSR} & {normalize_name(n) for n in pool}


def test_list_prefix_without_autograd_keeps_the_loss_and_the_bridge_gradients():
    heads = [build_head(prompt=dict(template='sugar_list_first')),
             build_head(prompt=dict(template='sugar_list_first'), prompt_prefix_grad=False)]
    heads[1].load_state_dict(heads[0].state_dict())
    torch.manual_seed(1)
    lora_b = {n: 0.1 * torch.randn_like(p) for n, p in heads[0].named_parameters() if 'lora_B' in n}
    feats = torch.randn(2, 1, 16, 6, 20)
    losses, grads = [], []
    for head in heads:
        with torch.no_grad():  # LoRA B != 0: the prefix's key/values depend on LoRA
            for n, p in head.named_parameters():
                if n in lora_b:
                    p.copy_(lora_b[n])
        head.train()
        random.seed(3)
        loss = head.loss(feats, samples([1, 2]))['loss_lm']
        loss.backward()
        losses.append(loss.detach())
        grads.append({n: p.grad.clone() for n, p in head.named_parameters() if p.grad is not None})
    assert torch.allclose(losses[0], losses[1], atol=1e-6)
    bridge = [n for n in grads[0] if n.startswith('bridge.')]
    assert bridge and all(torch.allclose(grads[0][n], grads[1][n], atol=1e-6) for n in bridge)
    # LoRA still learns from the per-sample positions, but no longer from how the list itself is read
    lora = [n for n in grads[0] if 'lora_' in n]
    assert set(lora) == {n for n in grads[1] if 'lora_' in n} and all(grads[1][n].abs().sum() > 0 for n in lora)
    assert max(float((grads[0][n] - grads[1][n]).abs().max()) for n in lora) > 1e-4
    with pytest.raises(ValueError, match='share_prompt_prefix'):
        build_head(prompt_prefix_grad=False, share_prompt_prefix=False)
