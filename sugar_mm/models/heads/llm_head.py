"""Stage-2 head: bridge (TQP) -> frozen causal LLM with LoRA, answering "{class}. description" (paper Sec. 3.3).
"""
from __future__ import annotations

import contextlib
import inspect
import random
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model import BaseModule

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.knowledge.schema import load_knowledge
from sugar_mm.knowledge.text_bank import select_classes
from ..bridges import build_bridge
from ..llm.build import apply_lora, build_causal_lm, to_dtype
from ..llm.parsing import parse_answer
from ..llm.prompt import PromptBuilder

TOKEN_LAYOUTS = ('time', 'time_joint', 'time_person_joint')


@MODELS.register_module()
class LLMHead(BaseModule):
    """SUGAR's LLM recognizer head.

    The encoder's feature sequence goes through a bridge (default: the Temporal Query Projection) into k
    embeddings that replace ``<action>`` in the instruction; a frozen causal LLM with LoRA adapters answers
    ``"{class}. {brief description}"``. Training: next-token cross-entropy on the answer tokens only.
    Prediction, per sample:

    * ``pred_score``: for every class the LLM's log-likelihood of ``"{class}."`` after the prompt, computed
      from ONE prompt forward whose key/value cache is shared by all candidates, then softmax-normalised
      (so top-1/top-5, ``--dump``, fusion and ``save_best`` work as for any mmaction head);
    * ``pred_text``: the greedy generated answer, and ``pred_text_label`` / ``parse_path`` / ``parse_reason``:
      the class parsed from it (see :func:`parse_answer`; a failure is label -1, counted wrong).

    Args:
        in_channels (int): Encoder channels C.
        llm (dict): ``build_causal_lm`` arguments: ``path`` (pretrained, e.g. LLaMA2-7B or
            ``'embedded:smollm2-135m-instruct'``) or ``config`` (tiny random model) + ``tokenizer``; ``dtype``;
            ``trust_remote_code`` (off by default).
        class_names (str | Sequence[str]): The action list (label map name/path or names, label order).
        knowledge (str, optional): Knowledge file whose ``brief`` texts are the training answers.
        allow_unknown_classes (bool): Classes without knowledge get a name-only brief (zero-shot lists).
        bridge (dict): ``dict(type='tqp'|'qformer'|'xattn'|'linear'|'mlp2x_gelu', ...)``.
        lora (dict, optional): ``r``, ``alpha``, ``dropout``, ``target_modules``; None trains no LoRA.
        token_layout (str): How the encoder output ``(N, M, C, T, V)`` becomes a sequence: ``'time'`` (joints
            and persons averaged, L_s = T), ``'time_joint'`` (persons averaged, L_s = T*V, time-major) or
            ``'time_person_joint'`` (L_s = T*M*V).
        prompt (dict): ``PromptBuilder`` arguments (``template``, ``use_chat_template``, ``system_prompt``).
        answer_template (str): Training target, with ``{class}`` and ``{brief}``.
        gradient_checkpointing (bool): Non-reentrant checkpointing of the LLM layers (LoRA still trains).
        autocast_dtype (str, optional): e.g. ``'bfloat16'`` on GPUs.
        max_new_tokens (int): Generation length.
        generate_text (bool): Generate ``pred_text`` at test time (scores are always computed).
        score_length_norm (bool): Average instead of sum the candidate token log-probs.
        score_chunk (int): Max candidate sequences scored at once (memory bound).
        seed (int): Seed of a randomly initialised LLM.
    """

    def __init__(self,
                 in_channels: int,
                 llm: dict,
                 class_names: Union[str, Sequence[str]],
                 knowledge: Optional[str] = None,
                 allow_unknown_classes: bool = False,
                 bridge: dict = dict(type='tqp', num_queries=128),
                 lora: Optional[dict] = dict(r=64, alpha=16, dropout=0.05, target_modules=('q_proj', 'v_proj')),
                 token_layout: str = 'time_joint',
                 prompt: Optional[dict] = None,
                 answer_template: str = '{class}. {brief}',
                 gradient_checkpointing: bool = False,
                 autocast_dtype: Optional[str] = None,
                 max_new_tokens: int = 32,
                 generate_text: bool = True,
                 score_length_norm: bool = False,
                 score_chunk: int = 256,
                 topk: Tuple[int, ...] = (1, 5),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if token_layout not in TOKEN_LAYOUTS:
            raise ValueError(f'token_layout must be one of {TOKEN_LAYOUTS}, got {token_layout!r}')
        if isinstance(class_names, str):
            class_names = load_label_map(class_names)
        self.class_names = list(class_names)
        if not self.class_names:
            raise ValueError('LLMHead needs a non-empty class list')
        if knowledge is not None:
            self.knowledge = select_classes(load_knowledge(knowledge), self.class_names, allow_unknown_classes)
        else:
            self.knowledge = None
        self.token_layout = token_layout
        self.answer_template = answer_template
        self.max_new_tokens = max_new_tokens
        self.generate_text = generate_text
        self.score_length_norm = score_length_norm
        self.score_chunk = score_chunk
        self.autocast_dtype = to_dtype(autocast_dtype)
        self.topk = topk

        model, tokenizer = build_causal_lm(**llm)
        self.tokenizer = tokenizer
        if lora is not None:
            lora = dict(lora)
            model = apply_lora(model, r=lora.get('r', 64), alpha=lora.get('alpha', 16),
                               dropout=lora.get('dropout', 0.05),
                               target_modules=lora.get('target_modules', ('q_proj', 'v_proj')))
        self.llm = model
        self.llm_hidden = self._base().config.get_text_config().hidden_size
        if gradient_checkpointing:
            self._base().gradient_checkpointing_enable(gradient_checkpointing_kwargs=dict(use_reentrant=False))
        self.bridge = build_bridge(bridge, in_channels, self.llm_hidden)
        self.prompt = PromptBuilder(tokenizer, **(prompt or {}))
        self._cache_kw = 'cache' if 'cache' in inspect.signature(self._decoder().forward).parameters \
            else 'past_key_values'

    # ---------------------------------------------------------------------------------------------- plumbing
    def _base(self) -> nn.Module:
        """The underlying ``*ForCausalLM`` (inside peft's wrapper when LoRA is on)."""
        return self.llm.get_base_model() if hasattr(self.llm, 'get_base_model') else self.llm

    def _decoder(self) -> nn.Module:
        return self._base().get_decoder()

    def _lm_head(self) -> nn.Module:
        return self._base().get_output_embeddings()

    def is_frozen_state_key(self, key: str) -> bool:
        """LLM weights are frozen and rebuilt from ``llm.path``; only LoRA adapters are saved."""
        return key.startswith('llm.') and 'lora_' not in key

    def init_weights(self) -> None:
        """The bridge keeps its constructor init; the LLM keeps its pretrained weights.

        (mmengine's default would call every child's ``init_weights``, and Hugging Face models re-initialise
        all their weights in theirs.)"""
        self._is_init = True

    def _autocast(self, device: torch.device):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    def _embed_ids(self, ids: List[int], device) -> torch.Tensor:
        t = torch.tensor(ids, dtype=torch.long, device=device)
        return self._base().get_input_embeddings()(t)

    # ------------------------------------------------------------------------------------------- features
    def sequence(self, feats: torch.Tensor) -> torch.Tensor:
        """Encoder output (N, M, C, T, V) -> (N, L_s, C) following ``token_layout``."""
        if feats.dim() != 5:
            raise ValueError(f'LLMHead takes encoder features (N, M, C, T, V), got {tuple(feats.shape)}')
        N, M, C, T, V = feats.shape
        if self.token_layout == 'time':
            return feats.mean(dim=(1, 4)).transpose(1, 2)  # (N, T, C)
        if self.token_layout == 'time_joint':
            return feats.mean(dim=1).permute(0, 2, 3, 1).reshape(N, T * V, C)
        return feats.permute(0, 3, 1, 4, 2).reshape(N, T * M * V, C)

    def action_tokens(self, feats: torch.Tensor) -> torch.Tensor:
        """(N, M, C, T, V) -> (N, k, D_llm) LLM input embeddings."""
        tokens = self.bridge(self.sequence(feats))
        return tokens.to(self._base().get_input_embeddings().weight.dtype)

    def prompt_embeds(self, action: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """``prefix + action + suffix`` embeddings: (N, L_prompt, D)."""
        tp = self.prompt(class_names)
        N = action.shape[0]
        prefix = self._embed_ids(tp.prefix_ids, action.device).unsqueeze(0).expand(N, -1, -1)
        suffix = self._embed_ids(tp.suffix_ids, action.device).unsqueeze(0).expand(N, -1, -1)
        return torch.cat([prefix, action, suffix], dim=1)

    def answer_text(self, label: int, rng: Optional[random.Random] = None) -> str:
        name = self.class_names[label]
        briefs = self.knowledge[label].brief if self.knowledge is not None else []
        brief = (rng or random).choice(briefs) if briefs else ''
        return self.answer_template.format(**{'class': name, 'brief': brief}).strip()

    # ------------------------------------------------------------------------------------------------ loss
    def loss(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> Dict[str, torch.Tensor]:
        labels = [int(ds.gt_label.view(-1)[0]) for ds in data_samples]
        if feats.shape[0] != len(labels):
            raise ValueError('LLMHead trains on one clip per sample')
        device = feats.device
        answers = [self.prompt.answer_ids(self.answer_text(y)) for y in labels]
        A = max(len(a) for a in answers)
        pad = self.tokenizer.pad_token_id
        ans_ids = torch.full((len(answers), A), pad, dtype=torch.long, device=device)
        targets = torch.full((len(answers), A), -100, dtype=torch.long, device=device)
        for i, a in enumerate(answers):
            ans_ids[i, :len(a)] = torch.tensor(a, device=device)
            targets[i, :len(a)] = ans_ids[i, :len(a)]
        with self._autocast(device):
            action = self.action_tokens(feats)
            prompt = self.prompt_embeds(action, self.class_names)
            embeds = torch.cat([prompt, self._base().get_input_embeddings()(ans_ids)], dim=1)
            # answers are right-padded after an identical-length prompt: the causal mask alone is correct
            hidden = self._decoder()(inputs_embeds=embeds, use_cache=False).last_hidden_state
            L = prompt.shape[1]
            h = hidden[:, L - 1:L - 1 + A]  # positions that predict the answer tokens
            logits = self._lm_head()(h).float()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        with torch.no_grad():
            valid = targets != -100
            tok_acc = ((logits.argmax(-1) == targets) & valid).sum() / valid.sum().clamp(min=1)
            first_acc = (logits[:, 0].argmax(-1) == targets[:, 0]).float().mean()
        return dict(loss_lm=loss, answer_token_acc=tok_acc, first_token_acc=first_acc)

    # ----------------------------------------------------------------------------------------- prediction
    @torch.no_grad()
    def score_classes(self, action: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """Log-likelihood of ``"{class}."`` for every class: (N, K), one prompt forward per sample.

        The prompt's key/value cache is computed once and shared (repeated along the batch) by all candidates.
        """
        device = action.device
        prompt = self.prompt_embeds(action, class_names)
        N, Lp = prompt.shape[:2]
        out = self._decoder()(inputs_embeds=prompt, use_cache=True)
        cache = getattr(out, self._cache_kw if self._cache_kw == 'cache' else 'past_key_values')
        first_logp = F.log_softmax(self._lm_head()(out.last_hidden_state[:, -1]).float(), dim=-1)  # (N, V)
        kv = [(layer.keys, layer.values) for layer in cache.layers]

        cands = [self.prompt.candidate_ids(n) for n in class_names]
        K = len(cands)
        Lc = max(len(c) for c in cands)
        cand_ids = torch.full((K, Lc), self.tokenizer.pad_token_id, dtype=torch.long, device=device)
        cand_mask = torch.zeros(K, Lc, dtype=torch.bool, device=device)
        for j, c in enumerate(cands):
            cand_ids[j, :len(c)] = torch.tensor(c, device=device)
            cand_mask[j, :len(c)] = True
        scores = first_logp[:, cand_ids[:, 0]]  # (N, K): first token given the prompt
        if Lc > 1:
            from transformers import DynamicCache
            per_chunk = max(1, self.score_chunk // K)
            rest = torch.zeros(N, K, device=device)
            positions = torch.arange(Lp, Lp + Lc - 1, device=device).unsqueeze(0)
            for s in range(0, N, per_chunk):
                idx = torch.arange(s, min(N, s + per_chunk), device=device)
                n = idx.numel()
                chunk_cache = DynamicCache([(k[idx].repeat_interleave(K, 0), v[idx].repeat_interleave(K, 0))
                                            for k, v in kv])
                inp = cand_ids[:, :-1].repeat(n, 1)  # (n*K, Lc-1): feed tokens 0..Lc-2, predict 1..Lc-1
                h = self._decoder()(input_ids=inp, position_ids=positions.expand(n * K, -1), use_cache=True,
                                    **{self._cache_kw: chunk_cache}).last_hidden_state
                logp = F.log_softmax(self._lm_head()(h).float(), dim=-1)  # (n*K, Lc-1, V)
                tgt = cand_ids[:, 1:].repeat(n, 1)
                tok_lp = logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1) * cand_mask[:, 1:].repeat(n, 1)
                rest[idx] = tok_lp.sum(-1).view(n, K)
            scores = scores + rest
        if self.score_length_norm:
            scores = scores / cand_mask.sum(1).float()[None]
        return scores

    @torch.no_grad()
    def generate(self, action: torch.Tensor, class_names: Sequence[str]) -> List[str]:
        """Greedy answers for a batch of action tokens."""
        prompt = self.prompt_embeds(action, class_names)
        mask = torch.ones(prompt.shape[:2], dtype=torch.long, device=prompt.device)
        out = self.llm.generate(inputs_embeds=prompt, attention_mask=mask, max_new_tokens=self.max_new_tokens,
                                do_sample=False, num_beams=1, pad_token_id=self.tokenizer.pad_token_id,
                                eos_token_id=self.prompt.eos_token_id)
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)

    def predict(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        n = len(data_samples)
        num_clips = feats.shape[0] // n
        device = feats.device
        with self._autocast(device):
            action = self.action_tokens(feats)  # (n*clips, k, D)
            logliks = self.score_classes(action, self.class_names).view(n, num_clips, -1)
            texts = self.generate(action.view(n, num_clips, *action.shape[1:])[:, 0], self.class_names) \
                if self.generate_text else [''] * n
        probs = logliks.float().softmax(-1).mean(1)  # average class probabilities over clips
        for ds, p, text in zip(data_samples, probs, texts):
            ds.set_pred_score(p)
            ds.set_pred_label(p.argmax(dim=0, keepdim=True))
            if self.generate_text:
                parsed = parse_answer(text, self.class_names)
                ds.pred_text = text
                ds.pred_text_label = parsed.label
                ds.parse_path = parsed.path
                ds.parse_reason = parsed.reason
        return data_samples

    def forward(self, feats: torch.Tensor, **kwargs) -> torch.Tensor:
        """Class log-likelihood scores (N, K) (``mode='tensor'``)."""
        return self.score_classes(self.action_tokens(feats), self.class_names)
