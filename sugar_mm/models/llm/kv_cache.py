"""Key/value caches without needless copies of the past.

Hugging Face's ``DynamicCache`` grows each layer with ``torch.cat``, and building one from existing key/values
copies them once more (``cat`` onto an empty tensor). Decoding ``T`` tokens after an ``L``-token prompt therefore
copied the whole cache twice per step: O(T * L) bytes per layer, which dominated greedy generation on the CPU under
the profiler (``aten::cat``: 59% of the time at batch 48) and made the CUDA caching allocator reserve far more than
it used (README, "Performance").

* :func:`preallocated_cache`: for greedy decoding, buffers with room for the new tokens, written in place;
* :func:`cache_from`: a ``DynamicCache`` over existing key/values as they are (one forward after a prompt:
  the forward's own ``cat`` is then the only copy).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from transformers.cache_utils import Cache, DynamicLayer  # (this module is imported where decoding happens)


def preallocated_cache(past: Sequence[Tuple[torch.Tensor, torch.Tensor]], extra_tokens: int):
    """A ``transformers`` cache holding ``past`` with room for ``extra_tokens`` more per layer.

    Args:
        past: Per layer ``(keys, values)``, each (N, H_kv, L, D); batch-1 tensors are not broadcast here.
        extra_tokens (int): How many tokens may still be appended (``update`` raises beyond).

    Returns:
        transformers.Cache: layers of :class:`PreallocatedLayer`, usable as ``past_key_values``.
    """
    return Cache(layers=[PreallocatedLayer(k, v, extra_tokens) for k, v in past])


def cache_from(past: Sequence[Tuple[torch.Tensor, torch.Tensor]]):
    """A ``DynamicCache`` whose layers start from ``past`` itself (no copy; views and expanded tensors allowed).

    ``past``: per layer ``(keys, values)``, each (N, H_kv, L, D). The tensors are not modified: ``update`` builds
    new ones with ``torch.cat`` (autograd flows through ``past`` as through any ``cat``).
    """
    from transformers import DynamicCache
    cache = DynamicCache()
    for k, v in past:
        layer = DynamicLayer()
        layer.keys, layer.values = k, v
        layer.device, layer.dtype = k.device, k.dtype
        layer.is_initialized = True
        cache.layers.append(layer)
    return cache


class PreallocatedLayer(DynamicLayer):
    """A ``DynamicLayer`` over one buffer of ``L + extra`` positions; ``keys`` / ``values`` are views of it.

    ``DynamicLayer``'s own methods that replace ``keys`` / ``values`` (``crop``, ``reorder_cache``,
    ``batch_select_indices``, ``offload``, ``reset``, ...) keep working: the next ``update`` sees that the views
    were replaced and copies what they hold into a new buffer with the room that was left.
    """

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, extra_tokens: int) -> None:
        super().__init__()
        if keys.dim() != 4 or keys.shape != values.shape:
            raise ValueError(f'expected keys and values (N, H, L, D) of one shape, got {tuple(keys.shape)} and '
                             f'{tuple(values.shape)}')
        self._adopt(keys, values, int(extra_tokens))

    def _adopt(self, keys: torch.Tensor, values: torch.Tensor, extra_tokens: int) -> None:
        N, H, L, D = keys.shape
        self.capacity = L + extra_tokens
        self._k = keys.new_empty(N, H, self.capacity, D)
        self._v = values.new_empty(N, H, self.capacity, D)
        self._k[:, :, :L] = keys
        self._v[:, :, :L] = values
        self.length = L
        self.device, self.dtype = keys.device, keys.dtype
        self.is_initialized = True
        self._views()

    def _views(self) -> None:
        self.keys = self._k[:, :, :self.length]
        self.values = self._v[:, :, :self.length]

    def _views_replaced(self) -> bool:
        return not (self.keys.data_ptr() == self._k.data_ptr() and self.values.data_ptr() == self._v.data_ptr()
                    and self.keys.shape == self._k[:, :, :self.length].shape)

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        room = self.capacity - self.length
        if not self.is_initialized or self.keys is None:  # after reset(): start again from nothing
            self._adopt(key_states[:, :, :0], value_states[:, :, :0], self.capacity)
        elif self._views_replaced():
            self._adopt(self.keys, self.values, room)
        n = key_states.shape[-2]
        if self.length + n > self.capacity:
            raise RuntimeError(f'preallocated cache full: {self.length} + {n} tokens > capacity {self.capacity}')
        self._k[:, :, self.length:self.length + n] = key_states
        self._v[:, :, self.length:self.length + n] = value_states
        self.length += n
        self._views()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        if not self.is_initialized or self.keys is None:
            return 0
        return self.keys.shape[-2]
