"""The candidate trie from token ids alone: no tokenizer, no language model."""
import pytest
import torch

from sugar_mm.models.llm.candidates import build_candidate_trie

# "draw x." / "draw tick." / "draw circle." share "draw"; "bend." and "jog." do not branch below their first token
CANDS = [[1, 2, 9], [1, 3, 9], [1, 4, 5, 9], [6, 9], [7, 9]]


def brute_force_prefixes(cands):
    return {tuple(c[:t]) for c in cands for t in range(1, len(c))}


def test_every_distinct_prefix_is_one_node_at_its_depth_with_its_ancestors():
    trie = build_candidate_trie(CANDS)
    prefixes = brute_force_prefixes(CANDS)
    assert trie.node_tokens.numel() == len(prefixes) == 7
    assert trie.first.tolist() == [1, 1, 1, 6, 7]
    assert trie.lengths.tolist() == [3, 3, 4, 2, 2]
    # rebuild each node's prefix from its ancestors (in depth order): it must be a real prefix, once
    seen = set()
    for i in range(trie.node_tokens.numel()):
        anc = trie.ancestors[i].nonzero().flatten().tolist()
        assert len(anc) == int(trie.node_depth[i]) + 1
        prefix = tuple(int(trie.node_tokens[j]) for j in sorted(anc, key=lambda j: int(trie.node_depth[j])))
        assert prefix in prefixes and prefix not in seen
        seen.add(prefix)
    # each candidate token after the first is scored once, at the node of the prefix before it
    assert trie.pair_node.numel() == sum(len(c) - 1 for c in CANDS)
    for node, token, cand in zip(trie.pair_node.tolist(), trie.pair_token.tolist(), trie.pair_cand.tolist()):
        c = CANDS[cand]
        t = c.index(token, int(trie.node_depth[node]) + 1)
        assert int(trie.node_tokens[node]) == c[t - 1]


def test_branch_points_are_where_candidates_differ():
    bp = build_candidate_trie(CANDS).branch
    # after the prompt: first tokens {1, 6, 7}; after "1": {2, 3, 4}; nothing else branches
    assert bp.edges.shape == (2, 3)
    assert sorted(bp.edges[0][bp.edge_mask[0]].tolist()) == [1, 6, 7]
    assert sorted(bp.edges[1][bp.edge_mask[1]].tolist()) == [2, 3, 4]
    assert bp.keep.numel() == 1 and bp.rows.tolist() == [0]  # only the node "1" is fed
    # every candidate has one edge per branch point on its path: 2 for the "draw" ones, 1 for the others
    per_cand = torch.bincount(bp.pair_cand, minlength=len(CANDS)).tolist()
    assert per_cand == [2, 2, 2, 1, 1]


def test_constrained_distribution_from_any_edge_logits_sums_to_one():
    """With any logits on the branch edges, the per-candidate sums of edge log-probs form a distribution."""
    trie = build_candidate_trie(CANDS)
    bp = trie.branch
    logits = torch.randn(3, *bp.edges.shape).masked_fill(~bp.edge_mask, float('-inf')).log_softmax(-1)
    scores = torch.zeros(3, len(CANDS)).index_add_(1, bp.pair_cand, logits[:, bp.pair_row, bp.pair_col])
    assert torch.allclose(scores.exp().sum(-1), torch.ones(3), atol=1e-6)


def test_distinct_first_tokens_need_no_forward_and_to_moves_every_tensor():
    trie = build_candidate_trie([[5, 9], [6, 9], [7, 8, 9]])
    assert trie.branch.keep.numel() == 0 and trie.branch.edges.shape == (1, 3)
    moved = trie.to('cpu')
    assert moved.branch.edges.data_ptr() == trie.branch.edges.data_ptr() and moved.num_candidates == 3
    with pytest.raises(ValueError, match='at least one token'):
        build_candidate_trie([[1], []])
