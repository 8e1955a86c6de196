"""ActionListSampler / distractor_pool (sugar_mm/models/llm/action_lists.py): the lists of list-conditioned training."""
import pytest

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.models.llm.action_lists import ActionListSampler, distractor_pool, normalize_name

MSR = load_label_map('msr_action3d')


def test_pool_is_every_shipped_label_map_deduplicated_minus_excluded():
    pool = distractor_pool('all')
    keys = [normalize_name(n) for n in pool]
    assert len(keys) == len(set(keys))  # NTU-60 is inside NTU-120: no name twice
    for dataset in ('ntu120', 'pku_mmd', 'toyota', 'msr_action3d'):
        assert {normalize_name(n) for n in load_label_map(dataset)} <= set(keys)
    no_msr = distractor_pool('all', exclude=MSR)
    assert not {normalize_name(n) for n in MSR} & {normalize_name(n) for n in no_msr}
    assert len(no_msr) == len(pool) - len(MSR)
    assert distractor_pool(['a b', 'A  b.', 'c'], exclude=['C']) == ['a b']


def test_each_list_holds_the_batch_classes_at_its_targets_and_no_training_name_from_the_pool():
    sampler = ActionListSampler(MSR, pool='all', max_pool=30, seed=0)
    assert not {normalize_name(n) for n in MSR} & {normalize_name(n) for n in sampler.pool}
    labels = [3, 3, 7, 19, 0]
    for _ in range(50):
        lst = sampler(labels)
        assert [lst.names[t] for t in lst.targets] == [MSR[y] for y in labels]
        assert len(set(lst.names)) == len(lst.names)
        n_train = sum(n in MSR for n in lst.names)
        assert 4 <= n_train <= 20 and len(lst.names) - n_train <= 30


def test_lists_vary_in_order_length_and_pool_use():
    sampler = ActionListSampler(MSR, pool='all', max_pool=100, seed=1)
    lists = [sampler([0, 1]) for _ in range(40)]
    assert len({len(x.names) for x in lists}) > 10
    assert len({tuple(x.names) for x in lists}) == 40
    assert len({x.targets[0] for x in lists}) > 5  # the true class moves around the list
    assert any(all(n in MSR for n in x.names) for x in lists) or min(len(x.names) for x in lists) < 25
    fixed = ActionListSampler(MSR, pool=None, shuffle=False, min_train=20, seed=0)([5])
    assert fixed.names == MSR and fixed.targets == [5]


def test_same_seed_same_lists_and_exclude_keeps_zero_shot_names_out():
    unseen = load_label_map('zsl:msr_action3d_15_5:unseen')
    seen = load_label_map('zsl:msr_action3d_15_5:seen')
    a = ActionListSampler(seen, exclude='msr_action3d', seed=3)
    b = ActionListSampler(seen, exclude='msr_action3d', seed=3)
    for _ in range(20):
        la, lb = a([0, 4]), b([0, 4])
        assert la == lb
        assert not {normalize_name(n) for n in unseen} & {normalize_name(n) for n in la.names}


def test_bad_labels_and_arguments_are_errors():
    with pytest.raises(ValueError, match='outside the 20 training classes'):
        ActionListSampler(MSR, seed=0)([20])
    with pytest.raises(ValueError, match='min_train'):
        ActionListSampler(MSR, min_train=0)
