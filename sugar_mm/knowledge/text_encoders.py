"""Frozen text encoders that embed knowledge text (used once per text bank, never per training step).

* :class:`SentenceTextEncoder`: any Hugging Face encoder via ``AutoModel`` + attention-masked mean pooling
  (sentence-transformers style). Embedded default: all-MiniLM-L6-v2 (``'embedded:all-minilm-l6-v2'``).
* :class:`CLIPTextEncoder`: ``CLIPTextModelWithProjection`` (the paper's text tower), any local path.

Both take either a pretrained ``path`` or a ``config`` dict for a tiny randomly initialised model (tests), in
which case ``tokenizer`` names where to load a tokenizer from. ``transformers`` is imported only here.
"""
from __future__ import annotations

import hashlib
import json
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from sugar_mm.registry import MODELS
from sugar_mm.utils.embedded_models import resolve_model_path


class _HFTextEncoder(nn.Module):
    """Shared loading logic. Subclasses implement :meth:`_embed`."""

    auto_class = 'AutoModel'

    def __init__(self,
                 path: Optional[str] = None,
                 config: Optional[dict] = None,
                 tokenizer: Optional[str] = None,
                 max_length: int = 77,
                 normalize: bool = True,
                 seed: int = 0,
                 trust_remote_code: bool = False) -> None:
        super().__init__()
        if (path is None) == (config is None):
            raise ValueError(f'{type(self).__name__}: give exactly one of `path` (pretrained) or `config` '
                             '(randomly initialised, for tests)')
        import transformers
        self.path = path
        self.config_dict = dict(config) if config is not None else None
        self.max_length = max_length
        self.normalize = normalize
        tok_path = resolve_model_path(tokenizer if tokenizer is not None else path)
        if tok_path is None:
            raise ValueError(f'{type(self).__name__}: a randomly initialised model needs `tokenizer=`')
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(tok_path, trust_remote_code=trust_remote_code)
        model_cls = getattr(transformers, self.auto_class)
        if path is not None:
            self.model = model_cls.from_pretrained(resolve_model_path(path), trust_remote_code=trust_remote_code)
        else:
            cfg = dict(config)
            model_type = cfg.pop('model_type')
            hf_config = transformers.AutoConfig.for_model(model_type, **cfg)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                # Auto classes build through from_config, concrete model classes from the config directly
                self.model = model_cls.from_config(hf_config) if hasattr(model_cls, 'from_config') \
                    else model_cls(hf_config)
        self.seed = seed
        self.model.eval()
        self.model.requires_grad_(False)

    @property
    def identity(self) -> str:
        """A string that changes whenever the produced embeddings could change (cache key)."""
        spec = dict(cls=type(self).__name__, path=self.path, config=self.config_dict, max_length=self.max_length,
                    normalize=self.normalize, seed=self.seed if self.config_dict else None)
        if self.path is not None:
            resolved = resolve_model_path(self.path)
            spec['resolved'] = resolved
            spec['weights'] = _weights_fingerprint(resolved)
        return json.dumps(spec, sort_keys=True, default=str)

    @property
    def embed_dim(self) -> int:
        raise NotImplementedError

    def _embed(self, batch) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Embed ``texts``.

        Returns:
            Tensor: (len(texts), embed_dim) float32, L2-normalised when ``normalize``.
        """
        if not texts:
            raise ValueError('no texts to encode')
        out: List[torch.Tensor] = []
        device = next(self.model.parameters()).device
        for i in range(0, len(texts), batch_size):
            batch = self.tokenizer(list(texts[i:i + batch_size]), padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors='pt').to(device)
            emb = self._embed(batch).float()
            out.append(F.normalize(emb, dim=-1) if self.normalize else emb)
        return torch.cat(out).cpu()


def _weights_fingerprint(folder: str) -> str:
    """Cheap fingerprint of a model folder: names, sizes and mtimes of its weight files."""
    import os
    import os.path as osp
    if not osp.isdir(folder):
        return folder
    items = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(('.safetensors', '.bin', '.json', '.gguf')):
            st = os.stat(osp.join(folder, f))
            items.append(f'{f}:{st.st_size}')
    return hashlib.sha256('|'.join(items).encode()).hexdigest()[:16]


@MODELS.register_module()
class SentenceTextEncoder(_HFTextEncoder):
    """``AutoModel`` + attention-masked mean pooling (all-MiniLM-L6-v2 style)."""

    auto_class = 'AutoModel'

    def __init__(self, path: Optional[str] = None, max_length: int = 128, **kwargs) -> None:
        super().__init__(path=path, max_length=max_length, **kwargs)

    @property
    def embed_dim(self) -> int:
        return self.model.config.hidden_size

    def _embed(self, batch) -> torch.Tensor:
        hidden = self.model(**batch).last_hidden_state  # (B, L, D)
        mask = batch['attention_mask'].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


@MODELS.register_module()
class CLIPTextEncoder(_HFTextEncoder):
    """``CLIPTextModelWithProjection``: the projected EOS embedding (the paper's CLIP text tower)."""

    auto_class = 'CLIPTextModelWithProjection'

    def __init__(self, path: Optional[str] = None, config: Optional[dict] = None, max_length: int = 77,
                 **kwargs) -> None:
        if config is not None:
            config = dict(config)
            config.setdefault('model_type', 'clip_text_model')
        super().__init__(path=path, config=config, max_length=max_length, **kwargs)

    @property
    def embed_dim(self) -> int:
        return self.model.config.projection_dim

    def _embed(self, batch) -> torch.Tensor:
        return self.model(input_ids=batch['input_ids'], attention_mask=batch['attention_mask']).text_embeds
