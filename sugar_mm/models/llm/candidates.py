"""The answer candidates ``"{class}."`` of an action list as a token trie.

Built from token ids alone (pure Python; no language model needed), cached per class list by the head. Two views
of the trie serve the two scorers:

* the whole trie (``score_mode='likelihood'``): every distinct candidate prefix is one node, fed once after the
  prompt with a tree attention mask (each node sees the prompt and its own ancestors);
* its branch points (``score_mode='constrained'``, GENRE-style constrained decoding): only the nodes where the
  candidates branch, and their ancestors, need a forward; below a branch point a single candidate is forced.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Dict, List, Sequence

import torch


@dataclass
class BranchPoints:
    """Where the candidates branch (the constrained scorer's view of the trie).

    Attributes:
        keep (torch.Tensor): (T_c,) indices of the trie nodes to feed: the branching nodes and their ancestors.
        ancestors (torch.Tensor): (T_c, T_c) bool, the tree attention mask of the kept sub-trie.
        rows (torch.Tensor): (B,) positions of the branching nodes within ``keep``.
        edges (torch.Tensor): (1 + B, E) the distinct next tokens right after the prompt (row 0) and after each
            branching node, padded; ``edge_mask`` (1 + B, E) marks the real ones.
        pair_row, pair_col, pair_cand (torch.Tensor): (P,) each candidate's edges: its row, column, candidate.
    """

    keep: torch.Tensor
    ancestors: torch.Tensor
    rows: torch.Tensor
    edges: torch.Tensor
    edge_mask: torch.Tensor
    pair_row: torch.Tensor
    pair_col: torch.Tensor
    pair_cand: torch.Tensor


@dataclass
class CandidateTrie:
    """K candidate token sequences packed into a trie of T nodes.

    A node is a candidate prefix of >= 1 token (the token fed there is its last); the candidates' first tokens
    are predicted from the prompt itself.

    Attributes:
        first (torch.Tensor): (K,) each candidate's first token.
        node_tokens (torch.Tensor): (T,) the token fed at each node.
        node_depth (torch.Tensor): (T,) its depth (0: a first token).
        ancestors (torch.Tensor): (T, T) bool, node i sees node j (j is i or an ancestor of i).
        pair_node, pair_token, pair_cand (torch.Tensor): (P,) for every candidate token after the first: the node
            whose next-token distribution scores it, the token, and the candidate.
        lengths (torch.Tensor): (K,) float, the candidates' lengths in tokens.
        branch (BranchPoints): The constrained-decoding view.
    """

    first: torch.Tensor
    node_tokens: torch.Tensor
    node_depth: torch.Tensor
    ancestors: torch.Tensor
    pair_node: torch.Tensor
    pair_token: torch.Tensor
    pair_cand: torch.Tensor
    lengths: torch.Tensor
    branch: BranchPoints

    @property
    def num_candidates(self) -> int:
        return self.first.numel()

    def to(self, device) -> 'CandidateTrie':
        """A copy with every tensor on ``device``."""
        moved = {f.name: getattr(self, f.name).to(device) for f in dataclasses.fields(self) if f.name != 'branch'}
        branch = BranchPoints(**{f.name: getattr(self.branch, f.name).to(device)
                                 for f in dataclasses.fields(self.branch)})
        return CandidateTrie(branch=branch, **moved)


def _as_long(values: Sequence[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


def build_candidate_trie(candidates: Sequence[Sequence[int]]) -> CandidateTrie:
    """Pack candidate token sequences (each >= 1 token) into a :class:`CandidateTrie`."""
    cands = [list(c) for c in candidates]
    if not cands or any(not c for c in cands):
        raise ValueError('every candidate needs at least one token')
    nodes: Dict[tuple, int] = {}
    parents: List[int] = []
    tokens: List[int] = []
    pair_node, pair_token, pair_cand = [], [], []
    for j, c in enumerate(cands):
        for t in range(1, len(c)):
            prefix = tuple(c[:t])
            if prefix not in nodes:
                nodes[prefix] = len(tokens)
                parents.append(nodes.get(prefix[:-1], -1))
                tokens.append(prefix[-1])
            pair_node.append(nodes[prefix])
            pair_token.append(c[t])
            pair_cand.append(j)
    T = len(tokens)
    ancestors = torch.zeros(T, T, dtype=torch.bool)
    depth = torch.zeros(T, dtype=torch.long)
    for i in range(T):
        j, d = i, 0
        while j >= 0:
            ancestors[i, j] = True
            j = parents[j]
            d += 1
        depth[i] = d - 1
    return CandidateTrie(first=torch.tensor([c[0] for c in cands]), node_tokens=_as_long(tokens), node_depth=depth,
                         ancestors=ancestors, pair_node=_as_long(pair_node), pair_token=_as_long(pair_token),
                         pair_cand=_as_long(pair_cand),
                         lengths=torch.tensor([len(c) for c in cands], dtype=torch.float),
                         branch=_branch_points(cands, nodes, ancestors))


def _branch_points(cands: List[List[int]], nodes: Dict[tuple, int], ancestors: torch.Tensor) -> BranchPoints:
    children: Dict[int, List[int]] = {-1: []}  # node (-1: right after the prompt) -> distinct next tokens
    for c in cands:
        for t in range(len(c)):
            kids = children.setdefault(nodes[tuple(c[:t])] if t else -1, [])
            if c[t] not in kids:
                kids.append(c[t])
    branching = sorted(n for n, kids in children.items() if n >= 0 and len(kids) > 1)
    keep = ancestors[branching].any(0) if branching else torch.zeros(ancestors.shape[0], dtype=torch.bool)
    kept = keep.nonzero().flatten()  # the fed sub-trie, ancestor-closed
    new_index = {int(n): i for i, n in enumerate(kept)}
    heads = [-1] + branching  # row 0: the first token after the prompt (one token only: log-prob 0)
    E = max(len(children[n]) for n in heads)
    edges = torch.zeros(len(heads), E, dtype=torch.long)
    mask = torch.zeros(len(heads), E, dtype=torch.bool)
    for r, n in enumerate(heads):
        edges[r, :len(children[n])] = torch.tensor(children[n])
        mask[r, :len(children[n])] = True
    row_of = {n: r for r, n in enumerate(heads)}
    pair_row, pair_col, pair_cand = [], [], []
    for j, c in enumerate(cands):
        for t in range(len(c)):
            n = nodes[tuple(c[:t])] if t else -1
            if n in row_of:
                pair_row.append(row_of[n])
                pair_col.append(children[n].index(c[t]))
                pair_cand.append(j)
    return BranchPoints(keep=kept, ancestors=ancestors[kept][:, kept],
                        rows=_as_long([new_index[n] for n in branching]), edges=edges, edge_mask=mask,
                        pair_row=_as_long(pair_row), pair_col=_as_long(pair_col), pair_cand=_as_long(pair_cand))
