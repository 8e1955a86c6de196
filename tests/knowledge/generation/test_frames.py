"""Frame selection for visual knowledge: farthest-point sampling on CLIP image embeddings."""
import numpy as np
import pytest

from sugar_mm.knowledge.generation import select_dissimilar_frames


def clustered(n_per=5, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.linalg.qr(rng.normal(size=(dim, 3)))[0].T  # 3 orthonormal directions
    labels = np.repeat(np.arange(3), n_per)
    emb = centers[labels] * 3.0 + rng.normal(scale=0.02, size=(len(labels), dim))
    order = rng.permutation(len(labels))
    return emb[order], labels[order]


def test_farthest_point_picks_one_frame_per_cluster():
    emb, labels = clustered()
    idx = select_dissimilar_frames(emb, 3)
    assert len(idx) == 3 and sorted(labels[idx].tolist()) == [0, 1, 2]
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    mean = x.mean(0)
    assert idx[0] == int(np.argmin(x @ (mean / np.linalg.norm(mean))))  # start: least similar to the mean
    assert select_dissimilar_frames(emb, 3) == idx  # deterministic
    assert select_dissimilar_frames(emb * 7.5, 3) == idx  # cosine: scale-free


def test_farthest_point_edge_cases():
    emb, _ = clustered()
    assert select_dissimilar_frames(emb, 15) == list(range(15))
    assert select_dissimilar_frames(emb, 40) == list(range(15))
    assert select_dissimilar_frames(emb, 0) == []
    assert select_dissimilar_frames(np.ones((4, 3)), 2) == [0, 1]  # identical frames: lowest indices
    six = select_dissimilar_frames(emb, 6)
    assert len(set(six)) == 6
    with pytest.raises(ValueError):
        select_dissimilar_frames(np.ones(4), 2)
