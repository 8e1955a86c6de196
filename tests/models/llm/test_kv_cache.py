"""llm/kv_cache.py: the preallocated decoding cache behaves as DynamicCache without copying the past."""
import pytest
import torch
from transformers import DynamicCache

from sugar_mm.models.llm.kv_cache import PreallocatedLayer, cache_from, preallocated_cache


def kv(n=2, h=3, L=5, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, h, L, d, generator=g), torch.randn(n, h, L, d, generator=g)


def test_updates_match_dynamic_cache_and_write_in_place():
    past = [kv(seed=i) for i in range(2)]
    ours = preallocated_cache(past, extra_tokens=3)
    ref = DynamicCache([(k.clone(), v.clone()) for k, v in past])
    ptrs = [layer._k.data_ptr() for layer in ours.layers]
    for step in range(3):
        for li in range(2):
            k_new, v_new = kv(L=1, seed=10 * step + li)
            k1, v1 = ours.update(k_new, v_new, li)
            k2, v2 = ref.update(k_new, v_new, li)
            assert torch.equal(k1, k2) and torch.equal(v1, v2)
    assert ours.get_seq_length() == ref.get_seq_length() == 8
    assert [layer._k.data_ptr() for layer in ours.layers] == ptrs  # no reallocation: the buffers were written


def test_full_cache_and_bad_shapes_raise():
    layer = PreallocatedLayer(*kv(), extra_tokens=1)
    layer.update(*kv(L=1))
    with pytest.raises(RuntimeError, match='cache full: 6 \\+ 1 tokens > capacity 6'):
        layer.update(*kv(L=1))
    k, v = kv()
    with pytest.raises(ValueError, match='keys and values'):
        PreallocatedLayer(k, v[:, :, :2], extra_tokens=1)


def test_a_broadcast_prefix_is_materialised_per_sample():
    k, v = kv(n=1)
    cache = preallocated_cache([(k.expand(3, -1, -1, -1), v.expand(3, -1, -1, -1))], extra_tokens=2)
    k_new = torch.arange(3 * 3 * 4, dtype=torch.float).view(3, 3, 1, 4)
    keys, _ = cache.update(k_new, k_new, 0)
    assert torch.equal(keys[:, :, :5], k.expand(3, -1, -1, -1)) and torch.equal(keys[:, :, 5:], k_new)


def test_cache_from_starts_from_the_past_without_copying_and_keeps_autograd():
    k, v = kv()
    k.requires_grad_(True)
    cache = cache_from([(k, v)])
    assert cache.layers[0].keys is k and cache.get_seq_length() == 5
    k_new, v_new = kv(L=2, seed=1)
    keys, values = cache.update(k_new, v_new, 0)
    ref = DynamicCache([(k.detach(), v)])
    rk, rv = ref.update(k_new, v_new, 0)
    assert torch.equal(keys.detach(), rk) and torch.equal(values, rv) and cache.get_seq_length() == 7
    keys.sum().backward()
    assert torch.equal(k.grad, torch.ones_like(k))


def test_dynamic_layer_methods_that_replace_the_views_keep_working():
    """reorder / select / crop / reset replace ``keys``; the next update re-buffers them (same as DynamicCache)."""
    k, v = kv(n=3)
    ours = preallocated_cache([(k, v)], extra_tokens=4)
    ref = DynamicCache([(k.clone(), v.clone())])
    for cache in (ours, ref):
        cache.reorder_cache(torch.tensor([2, 0, 1]))
        cache.crop(-1)
    step = kv(n=3, L=1, seed=5)
    k1, v1 = ours.update(*step, 0)
    k2, v2 = ref.update(*step, 0)
    assert torch.equal(k1, k2) and torch.equal(v1, v2) and ours.get_seq_length() == 5
    layer = ours.layers[0]
    assert layer.capacity - layer.length == 3  # the room that was left survives the re-buffering
    layer.reset()
    assert ours.get_seq_length() == 0
    k3, _ = ours.update(*step, 0)
    assert torch.equal(k3, step[0]) and ours.get_seq_length() == 1
