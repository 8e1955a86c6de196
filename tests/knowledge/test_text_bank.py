"""``TextBank``: a tiny random BERT (MiniLM's tokenizer) for the cache logic, the real MiniLM for one sanity check."""
import json
import os
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from tests.conftest import tiny_text_encoder_cfg
from sugar_mm.knowledge import TextBank, load_knowledge
from sugar_mm.knowledge.schema import shipped_knowledge_files
from sugar_mm.knowledge.text_bank import KINDS
from sugar_mm.registry import MODELS


@pytest.fixture(scope='module')
def msr():
    return load_knowledge('msr_action3d')


@pytest.fixture(scope='module')
def tiny_encoder():
    return MODELS.build(tiny_text_encoder_cfg())


def _no_encoder(*args, **kwargs):
    raise AssertionError('the encoder was built although the cache should have been used')


def test_embeddings_kinds_and_per_class(text_cache, msr, tiny_encoder):
    bank = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache)
    n_texts = sum(2 + len(c.visual) for c in msr)
    assert bank.num_classes == 20 and bank.class_names == msr.names
    assert bank.kinds == ('name', 'motion', 'visual')
    assert bank.embeddings.shape == (n_texts, 32) and bank.embed_dim == 32
    assert bank.embeddings.dtype == torch.float32
    torch.testing.assert_close(bank.embeddings.norm(dim=-1), torch.ones(n_texts))
    assert bank.class_index.shape == bank.kind_index.shape == (n_texts, )
    assert torch.bincount(bank.kind_index, minlength=4).tolist() == [20, 20, n_texts - 40, 0]
    assert torch.bincount(bank.class_index).tolist() == [2 + len(c.visual) for c in msr]
    # each row is the encoder's embedding of its text (in batches with padding, or alone)
    assert bank.texts[0] == (0, 'name', 'high arm wave') and bank.texts[1] == (0, 'motion', msr[0].motion_text)
    alone = tiny_encoder.encode([msr[3].name, msr[3].motion_text, msr[3].visual[1]])
    rows = [bank.texts.index((3, 'name', msr[3].name)), bank.texts.index((3, 'motion', msr[3].motion_text)),
            bank.texts.index((3, 'visual', msr[3].visual[1]))]
    torch.testing.assert_close(bank.embeddings[rows], alone, atol=1e-5, rtol=1e-4)

    emb, cls = bank.select('motion')
    assert emb.shape == (20, 32) and cls.tolist() == list(range(20))
    for kind in ('name', 'motion', 'visual'):
        pc = bank.per_class(kind)
        assert pc.shape == (20, 32)
        torch.testing.assert_close(pc.norm(dim=-1), torch.ones(20))
    visual, vcls = bank.select('visual')
    mean7 = F.normalize(visual[vcls == 7].mean(0), dim=0)
    torch.testing.assert_close(bank.per_class('visual')[7], mean7)
    torch.testing.assert_close(bank.per_class('motion'), emb)  # one text per class: itself
    with pytest.raises(KeyError, match="not 'brief'"):
        bank.select('brief')
    assert set(bank.as_dict()) == {'embeddings', 'class_index', 'kind_index'}


def test_cache_written_and_reused(text_cache, monkeypatch):
    first = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache)
    assert osp.dirname(first.cache_file) == text_cache and os.listdir(text_cache) == [f'{first.key}.pt']
    saved = torch.load(first.cache_file, weights_only=True)
    assert saved['key'] == first.key and torch.equal(saved['embeddings'], first.embeddings)
    assert saved['texts'] == [t[2] for t in first.texts]
    assert first.encode_seconds >= 0

    monkeypatch.setattr(MODELS, 'build', _no_encoder)
    second = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache)
    assert second.key == first.key and torch.equal(second.embeddings, first.embeddings)
    assert not hasattr(second, 'encode_seconds')
    # the same knowledge given as a loaded object hits the same cache
    third = TextBank(load_knowledge('msr_action3d'), tiny_text_encoder_cfg(), cache_dir=text_cache)
    assert third.key == first.key


def test_default_cache_dir_is_under_sugar_mm_cache(monkeypatch, tmp_path):
    monkeypatch.setenv('SUGAR_MM_CACHE', str(tmp_path / 'cache'))
    bank = TextBank('msr_action3d', tiny_text_encoder_cfg(), class_names=['bend'], kinds=('name', ))
    assert bank.cache_file.startswith(str(tmp_path / 'cache' / 'text_bank') + os.sep) and osp.isfile(bank.cache_file)


def test_edited_knowledge_changes_key(text_cache, tmp_path, msr):
    base = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache)
    with open(shipped_knowledge_files()['msr_action3d']) as f:
        data = json.load(f)
    assert data['classes'][4]['name'] == 'forward punch'
    data['classes'][4]['motion']['arm'] = 'right arm extends straight forward twice, quickly'
    edited_path = tmp_path / 'msr_edited.json'
    edited_path.write_text(json.dumps(data))
    edited = TextBank(str(edited_path), tiny_text_encoder_cfg(), cache_dir=text_cache)
    assert edited.key != base.key and edited.cache_file != base.cache_file
    assert len(os.listdir(text_cache)) == 2
    row = edited.texts.index((4, 'motion', edited.knowledge[4].motion_text))
    assert 'twice, quickly' in edited.texts[row][2]
    assert not torch.allclose(edited.embeddings[row], base.embeddings[row])
    others = [i for i in range(len(base.texts)) if i != row]
    torch.testing.assert_close(edited.embeddings[others], base.embeddings[others])  # re-encoded, same encoder


def test_encoder_identity_changes_key(text_cache):
    base = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=('name', ))
    other_seed = TextBank('msr_action3d', dict(tiny_text_encoder_cfg(), seed=1), cache_dir=text_cache,
                          kinds=('name', ))
    assert other_seed.key != base.key
    assert not torch.allclose(other_seed.embeddings, base.embeddings)
    shorter = TextBank('msr_action3d', dict(tiny_text_encoder_cfg(), max_length=4), cache_dir=text_cache,
                       kinds=('name', ))
    assert shorter.key not in (base.key, other_seed.key)
    assert len(os.listdir(text_cache)) == 3
    kinds = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=('name', 'brief'))
    assert kinds.key != base.key and kinds.embeddings.shape[0] == 20 + sum(len(c.brief) for c in kinds.knowledge)


def test_corrupt_or_foreign_cache_is_reencoded(text_cache, monkeypatch):
    good = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=('name', 'motion'))
    reference = good.embeddings.clone()
    with open(good.cache_file, 'wb') as f:
        f.write(b'not a torch file')
    again = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=('name', 'motion'))
    torch.testing.assert_close(again.embeddings, reference)
    assert hasattr(again, 'encode_seconds')  # it encoded
    assert torch.load(again.cache_file, weights_only=True)['key'] == good.key  # and repaired the cache

    # a readable file whose content is not this bank's (wrong key, or wrong size) is not trusted either
    torch.save(dict(key='somethingelse', embeddings=torch.zeros(40, 32)), good.cache_file)
    assert torch.equal(TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache,
                                kinds=('name', 'motion')).embeddings, again.embeddings)
    torch.save(dict(key=good.key, embeddings=torch.zeros(3, 32)), good.cache_file)
    assert torch.equal(TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache,
                                kinds=('name', 'motion')).embeddings, again.embeddings)
    # a cache holding arbitrary objects is loaded weights-only: refused, re-encoded, never unpickled
    import argparse
    torch.save(dict(key=good.key, embeddings=reference, extra=argparse.Namespace(a=1)), good.cache_file)
    rebuilt = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=('name', 'motion'))
    assert hasattr(rebuilt, 'encode_seconds')


def test_class_names_subset_order(text_cache):
    full = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache)
    sub = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache,
                   class_names=['bend', 'high arm wave', 'jogging'])
    assert sub.class_names == ['bend', 'high arm wave', 'jogging'] and sub.num_classes == 3
    assert [c.index for c in sub.knowledge] == [0, 1, 2]
    assert sub.key != full.key
    src = [full.class_names.index(n) for n in sub.class_names]
    for kind in ('name', 'motion', 'visual'):
        torch.testing.assert_close(sub.per_class(kind), full.per_class(kind)[src], atol=1e-5, rtol=1e-4)
    assert sub.texts[0] == (0, 'name', 'bend')


def test_unknown_classes(text_cache):
    with pytest.raises(KeyError, match=r"classes \['moonwalk'\] are missing from knowledge file .*msr_action3d"
                       r'\.json.*allow_unknown_classes=True'):
        TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, class_names=['bend', 'moonwalk'])
    assert not os.path.exists(text_cache) or os.listdir(text_cache) == []
    bank = TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, class_names=['bend', 'moonwalk'],
                    allow_unknown_classes=True)
    assert bank.class_names == ['bend', 'moonwalk']
    texts = [t for t in bank.texts if t[0] == 1]
    assert texts[0] == (1, 'name', 'moonwalk')
    assert texts[1][2].startswith('head moves as in moonwalk; hand moves as in moonwalk')
    assert [t[2] for t in texts[2:]] == ['a person doing moonwalk', 'a photo of moonwalk', 'moonwalk']
    assert bank.per_class('motion').shape == (2, 32)
    with pytest.raises(ValueError, match='empty class list'):
        TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, class_names=[])


def test_bad_kinds(text_cache):
    for kinds in ((), ('name', 'pose')):
        with pytest.raises(ValueError, match='kinds must be a non-empty subset'):
            TextBank('msr_action3d', tiny_text_encoder_cfg(), cache_dir=text_cache, kinds=kinds)
    assert KINDS == ('name', 'motion', 'visual', 'brief')


def test_real_minilm_sanity(text_cache):
    """The real embedded all-MiniLM-L6-v2: 'drink water' motion text is nearer its own visual texts."""
    bank = TextBank('ntu60', dict(type='SentenceTextEncoder', path='embedded:all-minilm-l6-v2'),
                    class_names=['drink water', 'sitting down'], cache_dir=text_cache)
    assert bank.embed_dim == 384
    torch.testing.assert_close(bank.embeddings.norm(dim=-1), torch.ones(len(bank.texts)))
    motion, mcls = bank.select('motion')
    visual, vcls = bank.select('visual')
    sims = motion[mcls == 0] @ visual.T  # (1, n_visual): cosine (unit vectors)
    own, other = sims[0, vcls == 0], sims[0, vcls == 1]
    assert own.mean() > other.mean() + 0.05, (own, other)
    assert own.max() > other.max()
    names, _ = bank.select('name')
    # and the class names agree with their own motion text more than with the other class's
    assert (names[0] @ motion[0]) > (names[0] @ motion[1]) and (names[1] @ motion[1]) > (names[1] @ motion[0])
