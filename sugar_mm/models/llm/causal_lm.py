"""A frozen Hugging Face causal LM as the stage-2 head sees it: embeddings, decoder, LM head, cached forwards.

Everything that depends on the ``transformers`` / ``peft`` version lives here: where the base model sits inside
peft's wrapper, the name of the cache keyword (``past_key_values``, or ``cache`` in newer decoders) and how
activation checkpointing is switched on. The rest of ``sugar_mm/models/llm/`` and ``LLMHead`` call
:class:`FrozenCausalLM` only.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

#: Per decoder layer ``(keys, values)``, each (N, H_kv, L, D_head).
PastKeyValues = List[Tuple[torch.Tensor, torch.Tensor]]


@dataclass
class PromptState:
    """What one prompt forward leaves behind for scoring and decoding.

    Attributes:
        last_hidden (torch.Tensor): (N, D) hidden state after the prompt's last token (predicts the answer's first).
        past (list[tuple[torch.Tensor, torch.Tensor]]): The prompt's key/values, per layer (N, H_kv, L, D_head).
        length (int): L, the prompt length in tokens (the position of the first answer token).
    """

    last_hidden: torch.Tensor
    past: PastKeyValues
    length: int

    @property
    def batch_size(self) -> int:
        return self.last_hidden.shape[0]

    def select(self, index: torch.Tensor) -> 'PromptState':
        """The state of the samples ``index`` (e.g. the first clip of each sample)."""
        return PromptState(self.last_hidden[index], [(k[index], v[index]) for k, v in self.past], self.length)


class FrozenCausalLM:
    """Access to a (peft-wrapped) causal LM and the forwards the head needs.

    Not a module of its own: it holds a reference to ``model``, which stays the head's ``llm`` child, so the
    state-dict keys are those of the wrapped model (``llm.base_model.model...lora_A...``).

    Args:
        model (nn.Module): A ``*ForCausalLM``, possibly inside peft's ``PeftModel``.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        params = inspect.signature(self.decoder.forward).parameters
        self.cache_kw = 'cache' if 'cache' in params else 'past_key_values'

    # ------------------------------------------------------------------------------------------- access
    @property
    def base(self) -> nn.Module:
        """The underlying ``*ForCausalLM`` (inside peft's wrapper when LoRA is on)."""
        return self.model.get_base_model() if hasattr(self.model, 'get_base_model') else self.model

    @property
    def decoder(self) -> nn.Module:
        return self.base.get_decoder()

    @property
    def lm_head(self) -> nn.Module:
        return self.base.get_output_embeddings()

    @property
    def input_embeddings(self) -> nn.Module:
        return self.base.get_input_embeddings()

    @property
    def hidden_size(self) -> int:
        return self.base.config.get_text_config().hidden_size

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the input embeddings (what the bridge's tokens are cast to)."""
        return self.input_embeddings.weight.dtype

    def embed_ids(self, ids: Sequence[int], device) -> torch.Tensor:
        """Input embeddings of token ids: (len(ids), D)."""
        return self.input_embeddings(torch.tensor(ids, dtype=torch.long, device=device))

    def enable_checkpointing(self) -> None:
        """Non-reentrant activation checkpointing of the decoder layers (gradients still reach LoRA)."""
        base = self.base
        if hasattr(base, 'activation_checkpointing_enable'):  # transformers >= 5.2x
            base.activation_checkpointing_enable(activation_checkpointing_kwargs=dict(use_reentrant=False))
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=dict(use_reentrant=False))

    # ----------------------------------------------------------------------------------------- forwards
    def forward(self, embeds: Optional[torch.Tensor] = None, ids: Optional[torch.Tensor] = None,
                past: Optional[PastKeyValues] = None, past_len: int = 0, use_cache: bool = True,
                cache=None) -> Tuple[torch.Tensor, Optional[PastKeyValues]]:
        """Run the decoder on new tokens after ``past``.

        Args:
            embeds (torch.Tensor, optional): (N, R, D) input embeddings; or
            ids (torch.Tensor, optional): (N, R) token ids.
            past: Key/values of earlier tokens; batch-1 tensors are broadcast to N (a shared prompt prefix).
            past_len (int): Position of the first new token (0: positions start at 0).
            use_cache (bool): Return the key/values of past + new tokens.
            cache: A ``transformers`` cache to extend in place instead (greedy decoding); ``past`` is then unused.

        Returns:
            tuple: hidden states (N, R, D) and, with ``use_cache``, the key/values (batch N).
        """
        from .kv_cache import cache_from
        x = embeds if embeds is not None else ids
        N, R = x.shape[:2]
        kwargs = dict(use_cache=use_cache)
        if embeds is not None:
            kwargs['inputs_embeds'] = embeds
        else:
            kwargs['input_ids'] = ids
        if cache is not None:
            kwargs[self.cache_kw] = cache
        elif use_cache:
            cache = cache_from([(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in past or []])
            kwargs[self.cache_kw] = cache
        if past_len:
            kwargs['position_ids'] = torch.arange(past_len, past_len + R, device=x.device).unsqueeze(0).expand(N, -1)
        hidden = self.decoder(**kwargs).last_hidden_state
        kv = [(layer.keys, layer.values) for layer in cache.layers] if use_cache else None
        return hidden, kv

    def forward_tree(self, ids: torch.Tensor, past: PastKeyValues, positions: torch.Tensor,
                     mask: torch.Tensor) -> torch.Tensor:
        """Feed tokens with explicit positions and an additive attention mask after ``past``.

        Args:
            ids (torch.Tensor): (n, T) token ids.
            past: Key/values of the prompt, batch n.
            positions (torch.Tensor): (n, T) position ids.
            mask (torch.Tensor): (n, 1, T, L + T) additive mask over prompt + new tokens.

        Returns:
            torch.Tensor: hidden states (n, T, D).
        """
        from .kv_cache import cache_from
        kwargs = {self.cache_kw: cache_from(past), 'use_cache': True}
        return self.decoder(input_ids=ids, position_ids=positions, attention_mask=mask, **kwargs).last_hidden_state

    def token_logits(self, hidden: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """LM-head logits of chosen vocabulary entries only: hidden (n, B, D), tokens (B, E) -> (n, B, E)."""
        lm = self.lm_head
        if not isinstance(lm, nn.Linear):  # an unusual head: compute all logits, then pick
            return lm(hidden).gather(-1, tokens.unsqueeze(0).expand(hidden.shape[0], -1, -1))
        logits = torch.einsum('nbd,bed->nbe', hidden, lm.weight[tokens].to(hidden.dtype))
        return logits if lm.bias is None else logits + lm.bias[tokens].to(logits.dtype)

    def encode_prompt(self, prefix: torch.Tensor, rest: torch.Tensor, share_prefix: bool = True) -> PromptState:
        """Prompt forward: ``prefix`` (1, P, D) is shared by every sample, ``rest`` (N, R, D) is per sample.

        With ``share_prefix`` the prefix runs once and its key/values are broadcast (exact: the same hidden
        states and key/values as a forward of each sample's whole prompt).
        """
        if share_prefix:
            _, past = self.forward(embeds=prefix)
            hidden, kv = self.forward(embeds=rest, past=past, past_len=prefix.shape[1])
        else:
            hidden, kv = self.forward(embeds=torch.cat([prefix.expand(rest.shape[0], -1, -1), rest], dim=1))
        return PromptState(hidden[:, -1], kv, prefix.shape[1] + rest.shape[1])
