"""probe_lists (sugar_mm/analysis/list_probe.py): the lists a checkpoint is probed with."""
import pytest

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.models.llm.action_lists import normalize_name

MSR = load_label_map('msr_action3d')


def test_permutations_and_interleaved_distractors():
    from sugar_mm.analysis.list_probe import probe_lists
    lists = probe_lists(MSR, permutations=5, distractors=100, seed=0)
    assert list(lists) == ['canonical', 'perm1', 'perm2', 'perm3', 'perm4', 'perm5', 'distractors100']
    assert lists['canonical'] == MSR
    perms = [lists[f'perm{i}'] for i in range(1, 6)]
    assert all(sorted(p) == sorted(MSR) for p in perms) and len({tuple(p) for p in perms}) == 5
    mixed = lists['distractors100']
    assert len(mixed) == 120 and [n for n in mixed if n in MSR] == MSR  # the dataset's names keep their order
    extra = [n for n in mixed if n not in MSR]
    assert not {normalize_name(n) for n in extra} & {normalize_name(n) for n in MSR}
    assert mixed.index(MSR[0]) > 0 or mixed[-1] not in MSR  # interleaved, not appended
    assert probe_lists(MSR, seed=0) == lists and probe_lists(MSR, seed=1) != lists
    with pytest.raises(ValueError, match='distractor names exist'):
        probe_lists(MSR, distractors=10000)
