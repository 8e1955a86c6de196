"""Local Hugging Face models as the duck-typed callables of the generators: a chat LM (:class:`ChatLM`), a CLIP
frame encoder (:class:`CLIPFrameEncoder`) and a vision-language model (:class:`VisionLanguageModel`)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .frames import _to_pil


def _auto_device(device: Optional[str]) -> str:
    if device not in (None, 'auto'):
        return device
    import torch
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _seeded(device):
    import torch
    devices = [device.index or 0] if getattr(device, 'type', 'cpu') == 'cuda' else []
    return torch.random.fork_rng(devices=devices)


class ChatLM:
    """A Hugging Face causal LM as ``lm(prompt, sample=False, seed=0, max_new_tokens=None) -> str``.

    The prompt is sent as one user message through the tokenizer's chat template (raw text when the tokenizer
    has none). ``sample=False`` decodes greedily; ``sample=True`` samples (``temperature``, ``top_p``) with
    ``torch`` seeded by ``seed`` (the global RNG state is restored afterwards).
    """

    def __init__(self, model, tokenizer, name: str = 'chat LM', max_new_tokens: int = 160,
                 temperature: float = 0.7, top_p: float = 0.9, repetition_penalty: float = 1.0):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.repetition_penalty = repetition_penalty

    @classmethod
    def load(cls, path: Optional[str] = None, config: Optional[dict] = None, tokenizer: Optional[str] = None,
             device: Optional[str] = 'auto', dtype=None, trust_remote_code: bool = False, seed: int = 0,
             name: Optional[str] = None, **kwargs) -> 'ChatLM':
        """Load ``path`` (local folder, hub id, ``'embedded:smollm2-135m-instruct'``) or build a random model
        from ``config`` (tests) with :func:`sugar_mm.utils.causal_lm.build_causal_lm`."""
        from sugar_mm.utils.causal_lm import build_causal_lm
        model, tok = build_causal_lm(path=path, config=config, tokenizer=tokenizer, dtype=dtype, seed=seed,
                                     trust_remote_code=trust_remote_code)
        model = model.to(_auto_device(device))
        if name is None:
            name = path if path is not None else f'random {config.get("model_type", "")} config {config}'
        return cls(model, tok, name=name, **kwargs)

    def format(self, prompt: str) -> str:
        if getattr(self.tokenizer, 'chat_template', None):
            return self.tokenizer.apply_chat_template([dict(role='user', content=prompt)], tokenize=False,
                                                      add_generation_prompt=True)
        return prompt

    def __call__(self, prompt: str, sample: bool = False, seed: int = 0,
                 max_new_tokens: Optional[int] = None) -> str:
        import torch
        from transformers import GenerationConfig
        tok = self.tokenizer
        text = self.format(prompt)
        templated = text is not prompt
        enc = tok(text, return_tensors='pt', add_special_tokens=not templated).to(self.model.device)
        eos = getattr(self.model.generation_config, 'eos_token_id', None)
        if eos is None:
            eos = tok.eos_token_id
        kwargs = dict(max_new_tokens=max_new_tokens or self.max_new_tokens, do_sample=bool(sample),
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                      eos_token_id=eos, repetition_penalty=self.repetition_penalty)
        if sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        with _seeded(self.model.device), torch.no_grad():
            torch.manual_seed(seed)
            out = self.model.generate(**enc, generation_config=GenerationConfig(**kwargs))
        return tok.decode(out[0, enc['input_ids'].shape[1]:], skip_special_tokens=True).strip()


class CLIPFrameEncoder:
    """``encoder(frames) -> (N, D)`` image embeddings of a ``CLIPVisionModelWithProjection``.

    Frames are PIL images or ``(H, W, 3)`` uint8 RGB arrays.
    """

    def __init__(self, model, processor, name: str = 'CLIP vision', batch_size: int = 32):
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: Optional[str] = None, config: Optional[dict] = None, device: Optional[str] = 'auto',
             seed: int = 0, **kwargs) -> 'CLIPFrameEncoder':
        """A local folder / hub id with a CLIP vision tower and its image processor, or a random model from a
        ``CLIPVisionConfig`` dict (``config``; tests)."""
        import torch
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection
        from sugar_mm.utils.embedded_models import resolve_model_path
        if (path is None) == (config is None):
            raise ValueError('give exactly one of `path` or `config`')
        if path is not None:
            path = resolve_model_path(path)
            model = CLIPVisionModelWithProjection.from_pretrained(path)
            processor = CLIPImageProcessor.from_pretrained(path)
            name = path
        else:
            cfg = CLIPVisionConfig(**config)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = CLIPVisionModelWithProjection(cfg)
            size = cfg.image_size
            processor = CLIPImageProcessor(size={'shortest_edge': size}, crop_size={'height': size, 'width': size})
            name = f'random CLIP vision config {config}'
        model.requires_grad_(False)
        return cls(model.to(_auto_device(device)), processor, name=kwargs.pop('name', name), **kwargs)

    def __call__(self, frames) -> np.ndarray:
        import torch
        feats = []
        for i in range(0, len(frames), self.batch_size):
            batch = [_to_pil(f) for f in frames[i:i + self.batch_size]]
            inputs = self.processor(images=batch, return_tensors='pt')
            pixels = inputs['pixel_values'].to(self.model.device, dtype=self.model.dtype)
            with torch.no_grad():
                feats.append(self.model(pixel_values=pixels).image_embeds.float().cpu().numpy())
        return np.concatenate(feats, axis=0) if feats else np.zeros((0, 0), np.float32)


class VisionLanguageModel:
    """An ``AutoModelForImageTextToText`` + ``AutoProcessor`` as
    ``vlm(image, prompt, sample=False, seed=0, max_new_tokens=None) -> str``.

    The image and the prompt go in one user message through the processor's chat template.
    """

    def __init__(self, model, processor, name: str = 'VLM', max_new_tokens: int = 160, temperature: float = 0.7,
                 top_p: float = 0.9, repetition_penalty: float = 1.0):
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.repetition_penalty = repetition_penalty

    @classmethod
    def load(cls, path: str, device: Optional[str] = 'auto', dtype=None, trust_remote_code: bool = False,
             **kwargs) -> 'VisionLanguageModel':
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from sugar_mm.utils.causal_lm import to_dtype
        from sugar_mm.utils.embedded_models import resolve_model_path
        local = resolve_model_path(path)
        mkw = dict(trust_remote_code=trust_remote_code)
        if dtype is not None:
            mkw['dtype'] = to_dtype(dtype)
        model = AutoModelForImageTextToText.from_pretrained(local, **mkw)
        processor = AutoProcessor.from_pretrained(local, trust_remote_code=trust_remote_code)
        model.requires_grad_(False)
        return cls(model.to(_auto_device(device)), processor, name=kwargs.pop('name', path), **kwargs)

    def _text(self, prompt: str) -> str:
        proc = self.processor
        if getattr(proc, 'chat_template', None):
            messages = [dict(role='user', content=[dict(type='image'), dict(type='text', text=prompt)])]
            return proc.apply_chat_template(messages, add_generation_prompt=True)
        image_token = getattr(proc, 'image_token', None) or '<image>'
        return f'{image_token}\n{prompt}'

    def __call__(self, image, prompt: str, sample: bool = False, seed: int = 0,
                 max_new_tokens: Optional[int] = None) -> str:
        import torch
        from transformers import GenerationConfig
        proc = self.processor
        tok = getattr(proc, 'tokenizer', proc)
        inputs = proc(images=_to_pil(image), text=self._text(prompt), return_tensors='pt').to(self.model.device)
        if 'pixel_values' in inputs:
            inputs['pixel_values'] = inputs['pixel_values'].to(self.model.dtype)
        eos = getattr(self.model.generation_config, 'eos_token_id', None)
        if eos is None:
            eos = tok.eos_token_id
        kwargs = dict(max_new_tokens=max_new_tokens or self.max_new_tokens, do_sample=bool(sample),
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                      eos_token_id=eos, repetition_penalty=self.repetition_penalty)
        if sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        with _seeded(self.model.device), torch.no_grad():
            torch.manual_seed(seed)
            out = self.model.generate(**inputs, generation_config=GenerationConfig(**kwargs))
        return tok.decode(out[0, inputs['input_ids'].shape[1]:], skip_special_tokens=True).strip()
