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
from sugar_mm.utils.causal_lm import build_causal_lm, to_dtype
from ..llm.lora import apply_lora
from ..llm.parsing import parse_answer
from ..llm.prompt import PromptBuilder

TOKEN_LAYOUTS = ('time', 'time_joint', 'time_person_joint')
SCORE_MODES = ('likelihood', 'constrained')


@MODELS.register_module()
class LLMHead(BaseModule):
    """SUGAR's LLM recognizer head.

    The encoder's feature sequence goes through a bridge (default: the Temporal Query Projection) into k
    embeddings that replace ``<action>`` in the instruction; a frozen causal LLM with LoRA adapters answers
    ``"{class}. {brief description}"``. Training: next-token cross-entropy on the answer tokens only.
    Prediction, per sample:

    * ``pred_score``: for every class its log-score after the prompt (``score_mode``: the probability of
      ``"{class}."`` under decoding constrained to the class list, or its full log-likelihood), computed from
      ONE prompt forward whose key/value cache is shared by all candidates, then softmax-normalised (so
      top-1/top-5, ``--dump``, fusion and ``save_best`` work as for any mmaction head);
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
        class_token_weight (float): Weight of the answer's ``"{class}."`` tokens in the loss, relative to the
            description tokens (1 = the plain token mean of the paper). Only the class tokens depend on the
            action tokens (the description is teacher-forced after the class), so on a small dataset a weight
            > 1 gives the bridge a stronger signal.
        align_loss_weight (float): Weight of an auxiliary bridge-to-vocabulary alignment loss ``loss_align``
            (a sugar_mm addition, not in the paper; 0 = off, the paper's recipe). The mean of a sample's action
            tokens is classified against the LLM's own (frozen) input embeddings of the class names -- the mean
            embedding of each name's tokens -- by a cosine-similarity softmax over the action list (InfoNCE).
            It gives a from-scratch query bridge (TQP, Q-Former) a direct class signal in the word space the LLM
            reads, which the answer loss alone does not provide on a few hundred sequences (see README,
            Results). It needs no extra parameters and works for any class list (zero-shot lists included).
        align_temperature (float): Softmax temperature of ``loss_align``.
        gradient_checkpointing (bool): Non-reentrant checkpointing of the LLM layers (LoRA still trains).
        autocast_dtype (str, optional): e.g. ``'bfloat16'`` on GPUs.
        max_new_tokens (int): Generation length.
        generate_text (bool): Generate ``pred_text`` at test time (scores are always computed).
        score_mode (str): How ``pred_score`` ranks the classes. ``'likelihood'``: the LLM's full log-likelihood
            of each ``"{class}."`` (every token, normalised over the whole vocabulary). ``'constrained'``
            (default): the log-probability of each class under decoding constrained to the class list
            (the trie-constrained decoding of GENRE, De Cao et al. 2021): wherever the candidates branch, the
            LLM's next-token logits renormalised over the continuations that still spell a class; once a
            candidate is the only one left its remaining tokens are forced (probability 1). Only the branching
            prefixes are run and only the candidates' rows of the LM head are computed, so scoring costs a few
            tokens per sample instead of the whole candidate trie; the scores form an exact distribution over
            the (distinct) class names, and its argmax is the class constrained greedy decoding would pick.
        score_length_norm (bool): Average instead of sum the candidate token log-probs (``'likelihood'`` only).
        score_chunk (int): Max (samples x candidate-tree tokens) scored at once (memory bound).
        share_prompt_prefix (bool): Run the prompt tokens before ``<action>`` (identical for every sample) once
            per batch and share their key/value cache, instead of once per sample. Exact (same loss and
            scores); the saving is largest with the ``'sugar_list_first'`` template, whose prefix holds the
            action list. Training falls back to the unshared path under gradient checkpointing.
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
                 class_token_weight: float = 1.0,
                 align_loss_weight: float = 0.0,
                 align_temperature: float = 0.1,
                 gradient_checkpointing: bool = False,
                 autocast_dtype: Optional[str] = None,
                 max_new_tokens: int = 32,
                 generate_text: bool = True,
                 score_mode: str = 'constrained',
                 score_length_norm: bool = False,
                 score_chunk: int = 4096,
                 share_prompt_prefix: bool = True,
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
        if class_token_weight <= 0:
            raise ValueError(f'class_token_weight must be > 0, got {class_token_weight}')
        self.class_token_weight = float(class_token_weight)
        if align_loss_weight < 0 or align_temperature <= 0:
            raise ValueError(f'align_loss_weight must be >= 0 and align_temperature > 0, got '
                             f'{align_loss_weight} and {align_temperature}')
        self.align_loss_weight = float(align_loss_weight)
        self.align_temperature = float(align_temperature)
        #: Runtime switch (set by ``BridgeWarmupHook``): train the bridge with ``loss_align`` only, no LLM forward.
        self.align_only = False
        self.max_new_tokens = max_new_tokens
        self.generate_text = generate_text
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if score_mode == 'constrained' and score_length_norm:
            raise ValueError("score_length_norm applies to score_mode='likelihood' only (constrained scores are "
                             'already a distribution over the classes)')
        self.score_mode = score_mode
        self.score_length_norm = score_length_norm
        self.score_chunk = score_chunk
        self.share_prompt_prefix = share_prompt_prefix
        self.gradient_checkpointing = gradient_checkpointing
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
        if gradient_checkpointing:  # non-reentrant: gradients reach LoRA without input-require-grads hooks
            base = self._base()
            if hasattr(base, 'activation_checkpointing_enable'):  # transformers >= 5.2x
                base.activation_checkpointing_enable(activation_checkpointing_kwargs=dict(use_reentrant=False))
            else:
                base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=dict(use_reentrant=False))
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

    def prompt_parts(self, action: torch.Tensor, class_names: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Shared prefix embeddings ``(1, P, D)`` and per-sample ``action + suffix`` embeddings ``(N, k+S, D)``."""
        tp = self.prompt(class_names)
        N = action.shape[0]
        prefix = self._embed_ids(tp.prefix_ids, action.device).unsqueeze(0)
        suffix = self._embed_ids(tp.suffix_ids, action.device).unsqueeze(0).expand(N, -1, -1)
        return prefix, torch.cat([action, suffix], dim=1)

    def prompt_embeds(self, action: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """``prefix + action + suffix`` embeddings: (N, L_prompt, D)."""
        prefix, rest = self.prompt_parts(action, class_names)
        return torch.cat([prefix.expand(rest.shape[0], -1, -1), rest], dim=1)

    def _run(self, embeds: Optional[torch.Tensor] = None, ids: Optional[torch.Tensor] = None,
             past: Optional[List[Tuple[torch.Tensor, torch.Tensor]]] = None, past_len: int = 0,
             use_cache: bool = True, cache=None):
        """Run the decoder on new tokens after ``past`` key/values; returns hidden states and the key/values.

        ``past`` tensors with batch 1 are broadcast to the batch of the new tokens (shared prompt prefix).
        ``cache``: a ``transformers`` cache to extend in place instead (greedy decoding), ``past`` then unused.
        """
        from ..llm.kv_cache import cache_from
        x = embeds if embeds is not None else ids
        N, R = x.shape[:2]
        kwargs = dict(use_cache=use_cache)
        if embeds is not None:
            kwargs['inputs_embeds'] = embeds
        else:
            kwargs['input_ids'] = ids
        if cache is not None:
            kwargs[self._cache_kw] = cache
        elif use_cache:
            cache = cache_from([(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in past or []])
            kwargs[self._cache_kw] = cache
        if past_len:
            kwargs['position_ids'] = torch.arange(past_len, past_len + R, device=x.device).unsqueeze(0).expand(N, -1)
        hidden = self._decoder()(**kwargs).last_hidden_state
        kv = [(layer.keys, layer.values) for layer in cache.layers] if use_cache else None
        return hidden, kv

    def encode_prompt(self, action: torch.Tensor, class_names: Sequence[str]):
        """Prompt forward: last hidden state (N, D), the prompt's key/values (batch N) and its length."""
        prefix, rest = self.prompt_parts(action, class_names)
        if self.share_prompt_prefix:
            _, past = self._run(embeds=prefix)
            hidden, kv = self._run(embeds=rest, past=past, past_len=prefix.shape[1])
        else:
            hidden, kv = self._run(embeds=torch.cat([prefix.expand(rest.shape[0], -1, -1), rest], dim=1))
        return hidden[:, -1], kv, prefix.shape[1] + rest.shape[1]

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
        if self.align_only:
            return self._align_only_loss(feats, labels)
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
            prefix, rest = self.prompt_parts(action, self.class_names)
            rest = torch.cat([rest, self._base().get_input_embeddings()(ans_ids)], dim=1)
            # answers are right-padded after an identical-length prompt: the causal mask alone is correct
            if self.share_prompt_prefix and not (self.gradient_checkpointing and self.training):
                _, past = self._run(embeds=prefix)
                hidden, _ = self._run(embeds=rest, past=past, past_len=prefix.shape[1], use_cache=True)
                L = rest.shape[1] - A
            else:
                hidden, _ = self._run(embeds=torch.cat([prefix.expand(len(labels), -1, -1), rest], dim=1),
                                      use_cache=False)
                L = hidden.shape[1] - A
            valid = targets != -100
            # the LM head (a V x D product, V = 32k-50k) on the real answer tokens only, as one 2-D matmul: on the
            # (N, A) slice it ran as a batched product over a broadcast weight, ~15% of a CPU training step
            h = hidden[:, L - 1:L - 1 + A][valid]  # (n_valid, D): the positions that predict answer tokens
            logits = self._lm_head()(h).float()
        target = targets[valid]
        ce = F.cross_entropy(logits, target, reduction='none')
        weights = torch.ones_like(targets, dtype=torch.float)
        if self.class_token_weight != 1.0:
            for i, (y, a) in enumerate(zip(labels, answers)):
                weights[i, :self._class_prefix_len(y, a)] *= self.class_token_weight
        weights = weights[valid]
        loss = (ce * weights).sum() / weights.sum().clamp(min=1)
        with torch.no_grad():
            hits = logits.argmax(-1) == target
            tok_acc = hits.float().mean()
            lens = valid.sum(1)
            first = torch.cumsum(lens, 0) - lens  # row-major: each answer's first token
            first_acc = hits[first].float().mean()
        out = dict(loss_lm=loss, answer_token_acc=tok_acc, first_token_acc=first_acc)
        if self.align_loss_weight > 0:
            out.update(self._align_terms(action, labels))
        return out

    def _align_terms(self, action: torch.Tensor, labels: List[int]) -> Dict[str, torch.Tensor]:
        """``loss_align`` (weighted) and ``align_acc`` of the action tokens (N, k, D)."""
        logits = self.align_logits(action, self.class_names)
        target = torch.tensor(labels, device=action.device)
        return dict(loss_align=self.align_loss_weight * F.cross_entropy(logits, target),
                    align_acc=(logits.argmax(-1) == target).float().mean().detach())

    def _align_only_loss(self, feats: torch.Tensor, labels: List[int]) -> Dict[str, torch.Tensor]:
        """Bridge warm-up step: ``loss_align`` alone, without running the LLM."""
        if self.align_loss_weight <= 0:
            raise RuntimeError('LLMHead.align_only needs align_loss_weight > 0')
        with self._autocast(feats.device):
            action = self.action_tokens(feats)
        out = self._align_terms(action, labels)
        # every trainable parameter stays in the graph (LoRA with a zero gradient), so DDP without
        # find_unused_parameters finds the gradients it waits for
        out['loss_align'] = out['loss_align'] + sum(p.sum() for n, p in self.named_parameters()
                                                    if p.requires_grad and not n.startswith('bridge.')) * 0.0
        return out

    def class_name_embeddings(self, class_names: Sequence[str], device: torch.device) -> torch.Tensor:
        """(C, D) unit vectors: the mean of each class name's token input embeddings (frozen, no gradient).

        Cached per class list and device (the embedding table is frozen), so a training step does not tokenize.
        """
        key = (tuple(class_names), str(device))
        cache = self.__dict__.setdefault('_name_emb_cache', {})
        if key not in cache:
            table = self._base().get_input_embeddings()
            rows = []
            with torch.no_grad():
                for name in class_names:
                    ids = self.tokenizer(' ' + name, add_special_tokens=False)['input_ids']
                    if not ids:
                        raise ValueError(f'class name {name!r} tokenizes to nothing')
                    rows.append(table(torch.tensor(ids, device=device)).float().mean(0))
            cache[key] = F.normalize(torch.stack(rows), dim=-1)
        return cache[key]

    def align_logits(self, action: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """Cosine similarity / temperature between mean action tokens (N, k, D) and class names: (N, C)."""
        pooled = F.normalize(action.float().mean(dim=1), dim=-1)
        return pooled @ self.class_name_embeddings(class_names, action.device).t() / self.align_temperature

    def _class_prefix_len(self, label: int, answer_ids: List[int]) -> int:
        """How many leading tokens of ``answer_ids`` spell ``"{class}."`` (their common prefix)."""
        cand = self.prompt.candidate_ids(self.class_names[label])
        n = 0
        while n < min(len(cand), len(answer_ids)) and cand[n] == answer_ids[n]:
            n += 1
        return n

    # ----------------------------------------------------------------------------------------- prediction
    def _candidate_tree(self, class_names: Sequence[str]) -> dict:
        """The candidates ``"{class}."`` as a token trie, cached per class list.

        Returns a dict of tensors. The whole trie (``score_mode='likelihood'``): ``first`` (K,) first tokens,
        ``node_tokens`` (T,) the token fed at each trie node, ``node_depth`` (T,), ``ancestors`` (T, T) bool
        (node i sees node j), and for every candidate the (node, next token) pairs whose log-probs it sums:
        ``pair_node``, ``pair_token``, ``pair_cand``; ``lengths`` (K,). Its branch points
        (``score_mode='constrained'``), prefixed ``c_``: the fed sub-trie ``c_keep`` (indices of the branching
        nodes and their ancestors) with its mask ``c_ancestors``, ``c_rows`` (B,) the branching nodes in it,
        ``c_edges`` (1 + B, E) the distinct next tokens after the prompt (row 0) and after each branching node,
        padded (``c_edge_mask``), and each candidate's edges ``c_pair_row``/``c_pair_col``/``c_pair_cand``.
        """
        key = tuple(class_names)
        cache = self.__dict__.setdefault('_tree_cache', {})
        if key in cache:
            return cache[key]
        cands = [self.prompt.candidate_ids(n) for n in class_names]
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
        tree = dict(first=torch.tensor([c[0] for c in cands]), node_tokens=torch.tensor(tokens, dtype=torch.long),
                    node_depth=depth, ancestors=ancestors, pair_node=torch.tensor(pair_node, dtype=torch.long),
                    pair_token=torch.tensor(pair_token, dtype=torch.long),
                    pair_cand=torch.tensor(pair_cand, dtype=torch.long),
                    lengths=torch.tensor([len(c) for c in cands], dtype=torch.float))
        tree.update(self._branch_points(cands, nodes, ancestors))
        cache[key] = tree
        return tree

    @staticmethod
    def _branch_points(cands: List[List[int]], nodes: Dict[tuple, int], ancestors: torch.Tensor) -> dict:
        """The constrained-decoding part of :meth:`_candidate_tree` (see there)."""
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
        as_long = lambda x: torch.tensor(x, dtype=torch.long)  # noqa: E731
        return dict(c_keep=kept, c_ancestors=ancestors[kept][:, kept],
                    c_rows=as_long([new_index[n] for n in branching]), c_edges=edges, c_edge_mask=mask,
                    c_pair_row=as_long(pair_row), c_pair_col=as_long(pair_col), c_pair_cand=as_long(pair_cand))

    def _tree_hidden(self, kv, Lp: int, node_tokens: torch.Tensor, node_depth: torch.Tensor,
                     ancestors: torch.Tensor):
        """Feed a token trie after each sample's prompt cache; yields ``(rows, hidden (n, T, D))`` chunks.

        Every trie node attends to the prompt and to its own ancestors only (a tree attention mask), at the
        position of its depth, so one pass gives every node the hidden state a plain left-to-right forward of
        its prefix would.
        """
        N, T = kv[0][0].shape[0], node_tokens.numel()
        dtype, device = kv[0][0].dtype, node_tokens.device
        mask = torch.zeros(T, Lp + T, dtype=dtype, device=device)
        mask[:, Lp:].masked_fill_(~ancestors, torch.finfo(dtype).min)
        positions = (Lp + node_depth).unsqueeze(0)
        per_chunk = max(1, self.score_chunk // T)
        for s in range(0, N, per_chunk):
            rows = slice(s, min(N, s + per_chunk))
            n = rows.stop - rows.start
            past = [(k[rows], v[rows]) for k, v in kv]
            yield rows, self._run_tree(node_tokens.expand(n, -1), past, positions.expand(n, -1),
                                       mask.expand(n, 1, -1, -1))

    def _token_logits(self, hidden: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """LM-head logits of chosen vocabulary entries only: hidden (n, B, D), tokens (B, E) -> (n, B, E)."""
        lm = self._lm_head()
        if not isinstance(lm, nn.Linear):  # an unusual head: compute all logits, then pick
            return lm(hidden).gather(-1, tokens.unsqueeze(0).expand(hidden.shape[0], -1, -1))
        logits = torch.einsum('nbd,bed->nbe', hidden, lm.weight[tokens].to(hidden.dtype))
        return logits if lm.bias is None else logits + lm.bias[tokens].to(logits.dtype)

    @torch.no_grad()
    def score_classes(self, action: torch.Tensor, class_names: Sequence[str], prompt_state=None) -> torch.Tensor:
        """Per-class log-scores (N, K) following ``score_mode``, from one prompt forward per sample.

        The prompt's key/value cache is computed once (``prompt_state`` from :meth:`encode_prompt` can be passed
        in) and shared by all candidates, which are packed into one token tree per sample: every distinct
        candidate prefix is fed once, attending to the prompt cache and to its own ancestors only (a tree
        attention mask), so shared prefixes ("draw x" / "draw tick") cost one token, not one per class. With
        ``score_mode='constrained'`` only the prefixes where candidates branch are fed.
        """
        device = action.device
        h_last, kv, Lp = prompt_state if prompt_state is not None else self.encode_prompt(action, class_names)
        tree = {k: v.to(device) for k, v in self._candidate_tree(class_names).items()}
        if self.score_mode == 'constrained':
            return self._constrained_scores(h_last, kv, Lp, tree)
        N = h_last.shape[0]
        first_logp = F.log_softmax(self._lm_head()(h_last).float(), dim=-1)  # (N, V)
        scores = first_logp[:, tree['first']]  # (N, K): first token given the prompt
        if tree['node_tokens'].numel():
            K = scores.shape[1]
            for rows, h in self._tree_hidden(kv, Lp, tree['node_tokens'], tree['node_depth'], tree['ancestors']):
                logp = F.log_softmax(self._lm_head()(h).float(), dim=-1)  # (n, T, V)
                pair_lp = logp[:, tree['pair_node'], tree['pair_token']]  # (n, P)
                scores[rows] += torch.zeros(h.shape[0], K, device=device).index_add_(1, tree['pair_cand'], pair_lp)
        if self.score_length_norm:
            scores = scores / tree['lengths'][None]
        return scores

    def _constrained_scores(self, h_last: torch.Tensor, kv, Lp: int, tree: dict) -> torch.Tensor:
        """``score_mode='constrained'``: (N, K) log-probabilities of the classes under trie-constrained decoding."""
        N, K = h_last.shape[0], tree['first'].numel()
        heads = torch.empty(N, tree['c_edges'].shape[0], h_last.shape[-1], dtype=h_last.dtype, device=h_last.device)
        heads[:, 0] = h_last
        keep = tree['c_keep']
        if keep.numel():
            for rows, h in self._tree_hidden(kv, Lp, tree['node_tokens'][keep], tree['node_depth'][keep],
                                             tree['c_ancestors']):
                heads[rows, 1:] = h[:, tree['c_rows']]
        logits = self._token_logits(heads, tree['c_edges']).float()
        logp = logits.masked_fill(~tree['c_edge_mask'], float('-inf')).log_softmax(-1)  # (N, 1 + B, E)
        edge_lp = logp[:, tree['c_pair_row'], tree['c_pair_col']]  # (N, P)
        return torch.zeros(N, K, device=h_last.device).index_add_(1, tree['c_pair_cand'], edge_lp)

    def _run_tree(self, ids, past, positions, mask) -> torch.Tensor:
        from ..llm.kv_cache import cache_from
        kwargs = {self._cache_kw: cache_from(past), 'use_cache': True}
        return self._decoder()(input_ids=ids, position_ids=positions, attention_mask=mask, **kwargs).last_hidden_state

    @torch.no_grad()
    def generate(self, action: torch.Tensor, class_names: Sequence[str], prompt_state=None) -> List[str]:
        """Greedy answers, decoded with the prompt's key/value cache (reused from scoring when given).

        The cache is copied once into buffers with room for ``max_new_tokens`` (see ``llm/kv_cache.py``): each
        step then writes its token in place instead of copying the whole cache.
        """
        from ..llm.kv_cache import preallocated_cache
        h_last, kv, Lp = prompt_state if prompt_state is not None else self.encode_prompt(action, class_names)
        N = h_last.shape[0]
        cache = preallocated_cache([(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in kv],
                                   self.max_new_tokens)
        eos = self.prompt.eos_token_id
        tokens = torch.full((N, self.max_new_tokens), self.tokenizer.pad_token_id, dtype=torch.long,
                            device=h_last.device)
        done = torch.zeros(N, dtype=torch.bool, device=h_last.device)
        logits = self._lm_head()(h_last)
        for t in range(self.max_new_tokens):
            nxt = logits.argmax(-1).masked_fill(done, eos)
            tokens[:, t] = nxt
            done |= nxt == eos
            if bool(done.all()) or t == self.max_new_tokens - 1:
                break
            h, _ = self._run(ids=nxt[:, None], cache=cache, past_len=Lp + t)
            logits = self._lm_head()(h[:, -1])
        texts = []
        for row in tokens.tolist():
            if eos in row:
                row = row[:row.index(eos)]
            texts.append(self.tokenizer.decode(row, skip_special_tokens=True).strip())
        return texts

    def predict(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        n = len(data_samples)
        num_clips = feats.shape[0] // n
        device = feats.device
        with self._autocast(device), torch.no_grad():
            action = self.action_tokens(feats)  # (n*clips, k, D)
            state = self.encode_prompt(action, self.class_names)
            logliks = self.score_classes(action, self.class_names, state).view(n, num_clips, -1)
            texts = [''] * n
            if self.generate_text:  # from the first clip of each sample, reusing its prompt cache
                if num_clips == 1:  # (generate copies the cache into its buffers: no indexed copy first)
                    texts = self.generate(action, self.class_names, state)
                else:
                    first = torch.arange(0, n * num_clips, num_clips, device=device)
                    h_last, kv, Lp = state
                    texts = self.generate(action[first], self.class_names,
                                          (h_last[first], [(k[first], v[first]) for k, v in kv], Lp))
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
