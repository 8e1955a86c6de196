"""Stage-2 head: bridge (TQP) -> frozen causal LLM with LoRA, answering "{class}. description" (paper Sec. 3.3).

The language-model side lives in :mod:`sugar_mm.models.llm` (the frozen model and its cached forwards, the
prompt, the candidate trie, the two scorers, greedy decoding) and the two losses in :mod:`sugar_mm.models.losses`;
this head composes them.
"""
from __future__ import annotations

import random
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmaction.models.heads import BaseHead
from sugar_mm.registry import MODELS
from mmaction.utils import SampleList

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.knowledge.schema import load_knowledge
from sugar_mm.knowledge.text_bank import select_classes
from sugar_mm.utils.causal_lm import autocast, build_causal_lm, to_dtype
from ..bridges import build_bridge
from ..llm.action_lists import ActionList, ActionListSampler
from ..llm.answers import build_answer_batch
from ..llm.candidates import CandidateTrie, build_candidate_trie
from ..llm.causal_lm import FrozenCausalLM, PromptState
from ..llm.constrained_scorer import constrained_scores
from ..llm.greedy import greedy_decode
from ..llm.likelihood_scorer import likelihood_scores
from ..llm.list_constraint import ListConstrainedLogitsProcessor
from ..llm.lora import apply_lora
from ..llm.name_embeddings import mean_name_embeddings
from ..llm.parsing import parse_answer
from ..llm.prompt import PromptBuilder
from ..llm.token_layout import check_token_layout, feature_sequence

SCORE_MODES = ('likelihood', 'constrained')
ALIGN_TARGETS = ('list', 'classes', 'classes+list')


@MODELS.register_module()
class LLMHead(BaseHead):
    """SUGAR's LLM recognizer head.

    The encoder's feature sequence goes through a bridge (default: the Temporal Query Projection) into k
    embeddings that replace ``<action>`` in the instruction; a frozen causal LLM with LoRA adapters answers
    ``"{class}. {brief description}"``. Training: ``loss_lm`` (``loss_cls``, an :class:`AnswerLoss` on the
    answer tokens) and optionally ``loss_align`` (a :class:`NameAlignmentLoss`). Prediction, per sample:

    * ``pred_score``: for every class its log-score after the prompt (``score_mode``), from ONE prompt forward
      whose key/value cache all candidates share, softmax-normalised and averaged over clips as mmaction's heads
      do (``average_clips='prob'``), so top-1/top-5, ``--dump``, fusion and ``save_best`` work as for any head;
    * ``pred_text``: the greedy answer (from the first clip), and ``pred_text_label`` / ``parse_path`` /
      ``parse_reason``: the class parsed from it (see :func:`parse_answer`; a failure is label -1, counted wrong);
    * ``pred_align_score`` (with ``loss_align``): the bridge alone -- the alignment classifier's class
      probabilities (mean action token vs the LLM's embeddings of the names; no LLM run), clip-averaged.

    Args:
        in_channels (int): Encoder channels C.
        llm (dict): ``build_causal_lm`` arguments: ``path`` (pretrained, e.g. LLaMA2-7B or
            ``'embedded:smollm2-135m-instruct'``) or ``config`` (random model) + ``tokenizer``; ``dtype``;
            ``trust_remote_code`` (off by default).
        class_names (str | Sequence[str]): The action list (label map name/path or names, label order).
        knowledge (str, optional): Knowledge file whose ``brief`` texts are the training answers.
        allow_unknown_classes (bool): Classes without knowledge get a name-only brief (zero-shot lists).
        bridge (dict): ``dict(type='tqp'|'qformer'|'xattn'|'linear'|'mlp2x_gelu', ...)``.
        lora (dict, optional): ``r``, ``alpha``, ``dropout``, ``target_modules``; None trains no LoRA.
        token_layout (str): How the encoder output becomes the bridge's sequence (``llm/token_layout.py``).
        prompt (dict): ``PromptBuilder`` arguments (``template``, ``use_chat_template``, ``system_prompt``).
        answer_template (str): Training target, with ``{class}`` and ``{brief}``.
        loss_cls (dict): The answer loss, ``dict(type='AnswerLoss', class_token_weight=...)``.
        loss_align (dict, optional): ``dict(type='NameAlignmentLoss', loss_weight=..., temperature=...)``; None
            (the paper's recipe) trains on the answer loss alone. ``BridgeWarmupHook`` needs it.
        gradient_checkpointing (bool): Non-reentrant checkpointing of the LLM layers (LoRA still trains).
        autocast_dtype (str, optional): e.g. ``'bfloat16'`` on GPUs.
        train_lists (dict, optional): List-conditioned training: :class:`ActionListSampler` arguments (``pool``,
            ``exclude``, ``min_train``, ``max_pool``, ``shuffle``); every training batch's prompt gets its own
            list, and the answer loss follows it. None trains with ``class_names`` in label order.
        align_targets (str): The names ``loss_align`` contrasts: ``'list'`` (default: the batch's list),
            ``'classes'`` (every class of ``class_names``, whatever the list) or ``'classes+list'`` (those and the
            list's other names).
        max_new_tokens (int): Generation length.
        generate_text (bool): Generate ``pred_text`` at test time (scores are always computed).
        constrain_answers (bool): Greedy generation whose ``"{class}."`` can only spell a name of the list
            (:class:`ListConstrainedLogitsProcessor`), the description after it free; False generates freely
            (answers may then name no listed class: ``parse_failure_rate``).
        score_mode (str): ``'constrained'`` (default, ``llm/constrained_scorer.py``): each class's probability
            under decoding constrained to the class list; ``'likelihood'`` (``llm/likelihood_scorer.py``): each
            ``"{class}."``'s full log-likelihood.
        score_length_norm (bool): Average instead of sum the candidate token log-probs (``'likelihood'`` only).
        score_chunk (int): Max (samples x candidate-trie tokens) scored at once (memory bound).
        share_prompt_prefix (bool): Run the prompt tokens before ``<action>`` (identical for every sample) once
            per batch and share their key/value cache. Exact (same loss and scores); the saving is largest with
            the ``'sugar_list_first'`` template, whose prefix holds the action list. Training falls back to the
            unshared path under gradient checkpointing.
        prompt_prefix_grad (bool): Back-propagate through the shared prefix in training (default). False runs it
            without autograd: its key/values, computed with the current LoRA weights, still condition every
            answer token, but LoRA learns only from the per-sample positions (action tokens, instruction end,
            answer) and the prefix's backward, the largest share of a list-conditioned step, is skipped. The
            loss and the bridge's gradients are unchanged. Needs ``share_prompt_prefix`` and no checkpointing.
        average_clips (str): How test clips are averaged (mmaction's ``'prob'``, ``'score'``).
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
                 loss_cls: dict = dict(type='AnswerLoss'),
                 loss_align: Optional[dict] = None,
                 gradient_checkpointing: bool = False,
                 autocast_dtype: Optional[str] = None,
                 train_lists: Optional[dict] = None,
                 align_targets: str = 'list',
                 max_new_tokens: int = 32,
                 generate_text: bool = True,
                 constrain_answers: bool = True,
                 score_mode: str = 'constrained',
                 score_length_norm: bool = False,
                 score_chunk: int = 4096,
                 share_prompt_prefix: bool = True,
                 prompt_prefix_grad: bool = True,
                 average_clips: str = 'prob',
                 init_cfg: Optional[dict] = None) -> None:
        names = load_label_map(class_names) if isinstance(class_names, str) else list(class_names)
        if not names:
            raise ValueError('LLMHead needs a non-empty class list')
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if score_mode == 'constrained' and score_length_norm:
            raise ValueError("score_length_norm applies to score_mode='likelihood' only (constrained scores are "
                             'already a distribution over the classes)')
        # sugar_mm's losses resolve under any default scope (BaseHead builds loss_cls with mmaction's registry)
        super().__init__(len(names), in_channels, loss_cls=dict(dict(_scope_='sugar_mm'), **loss_cls),
                         average_clips=average_clips, init_cfg=init_cfg)
        self.class_names = names
        self.knowledge = (select_classes(load_knowledge(knowledge), names, allow_unknown_classes)
                          if knowledge is not None else None)
        self.token_layout = check_token_layout(token_layout)
        self.answer_template = answer_template
        self.loss_align = (MODELS.build(dict(dict(_scope_='sugar_mm'), **loss_align)) if loss_align is not None
                           else None)
        #: Runtime switch (set by ``BridgeWarmupHook``): train the bridge with ``loss_align`` only, no LLM forward.
        self.align_only = False
        self.max_new_tokens = max_new_tokens
        self.generate_text = generate_text
        self.constrain_answers = constrain_answers
        self.list_sampler = ActionListSampler(names, **train_lists) if train_lists is not None else None
        if align_targets not in ALIGN_TARGETS:
            raise ValueError(f'align_targets must be one of {ALIGN_TARGETS}, got {align_targets!r}')
        self.align_targets = align_targets
        self.score_mode = score_mode
        self.score_length_norm = score_length_norm
        self.score_chunk = score_chunk
        self.share_prompt_prefix = share_prompt_prefix
        if not prompt_prefix_grad and (gradient_checkpointing or not share_prompt_prefix):
            raise ValueError('prompt_prefix_grad=False needs share_prompt_prefix=True and gradient_checkpointing='
                             'False (the prefix runs without autograd only on the shared-prefix path)')
        self.prompt_prefix_grad = prompt_prefix_grad
        self.gradient_checkpointing = gradient_checkpointing
        self.autocast_dtype = to_dtype(autocast_dtype)

        model, self.tokenizer = build_causal_lm(**llm)
        if lora is not None:
            model = apply_lora(model, **dict(lora))
        self.llm = model
        self.lm = FrozenCausalLM(model)
        if gradient_checkpointing:
            self.lm.enable_checkpointing()
        self.bridge = build_bridge(bridge, in_channels, self.lm.hidden_size)
        self.prompt = PromptBuilder(self.tokenizer, **(prompt or {}))
        self._tries: Dict[tuple, CandidateTrie] = {}
        self._name_embeddings: Dict[str, torch.Tensor] = {}
        self._constraints: Dict[tuple, ListConstrainedLogitsProcessor] = {}

    def is_frozen_state_key(self, key: str) -> bool:
        """LLM weights are frozen and rebuilt from ``llm.path``; only LoRA adapters are saved."""
        return key.startswith('llm.') and 'lora_' not in key

    def init_weights(self) -> None:
        """The bridge keeps its constructor init, the LLM its pretrained weights (mmengine's default would call
        every child's ``init_weights``, and Hugging Face models re-initialise all their weights in theirs)."""
        self._is_init = True

    # -------------------------------------------------------------------------------------- action prompt
    def action_tokens(self, feats: torch.Tensor) -> torch.Tensor:
        """Encoder output (N, M, C, T, V) -> (N, k, D_llm) LLM input embeddings."""
        return self.bridge(feature_sequence(feats, self.token_layout)).to(self.lm.dtype)

    def prompt_parts(self, action: torch.Tensor, class_names: Sequence[str]):
        """Shared prefix embeddings ``(1, P, D)`` and per-sample ``action + suffix`` embeddings ``(N, k+S, D)``."""
        tp = self.prompt(class_names)
        prefix = self.lm.embed_ids(tp.prefix_ids, action.device).unsqueeze(0)
        suffix = self.lm.embed_ids(tp.suffix_ids, action.device).unsqueeze(0).expand(action.shape[0], -1, -1)
        return prefix, torch.cat([action, suffix], dim=1)

    def prompt_embeds(self, action: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """``prefix + action + suffix`` embeddings: (N, L_prompt, D)."""
        prefix, rest = self.prompt_parts(action, class_names)
        return torch.cat([prefix.expand(rest.shape[0], -1, -1), rest], dim=1)

    def encode_prompt(self, action: torch.Tensor, class_names: Sequence[str]) -> PromptState:
        """The prompt forward of action tokens (N, k, D) for a class list."""
        return self.lm.encode_prompt(*self.prompt_parts(action, class_names), share_prefix=self.share_prompt_prefix)

    def candidate_trie(self, class_names: Sequence[str]) -> CandidateTrie:
        """The answers' ``"{class}."`` prefixes as a token trie, cached per class list."""
        key = tuple(class_names)
        if key not in self._tries:
            self._tries[key] = build_candidate_trie([self.prompt.candidate_ids(n) for n in class_names])
        return self._tries[key]

    def class_name_embeddings(self, class_names: Sequence[str], device) -> torch.Tensor:
        """(C, D) unit vectors of the class names in the LLM's input-embedding space (frozen; cached per name,
        so that the lists of list-conditioned training share them)."""
        missing = [n for n in dict.fromkeys(class_names) if n not in self._name_embeddings]
        if missing:
            for name, emb in zip(missing, mean_name_embeddings(self.lm, self.tokenizer, missing, device)):
                self._name_embeddings[name] = emb
        return torch.stack([self._name_embeddings[n] for n in class_names]).to(device)

    def answer_constraint(self, class_names: Sequence[str]) -> ListConstrainedLogitsProcessor:
        """The logits processor that keeps an answer's ``"{class}."`` inside the list (cached per list)."""
        key = tuple(class_names)
        if key not in self._constraints:
            self._constraints[key] = ListConstrainedLogitsProcessor([self.prompt.candidate_ids(n)
                                                                     for n in class_names])
        return self._constraints[key]

    def training_list(self, labels: Sequence[int]) -> ActionList:
        """This batch's action list (``train_lists``), or the class list in label order."""
        if self.list_sampler is not None and self.training:
            return self.list_sampler(labels)
        return ActionList(list(self.class_names), list(labels))

    # ------------------------------------------------------------------------------------------------ loss
    def answer_text(self, label: int, rng: Optional[random.Random] = None) -> str:
        briefs = self.knowledge[label].brief if self.knowledge is not None else []
        brief = (rng or random).choice(briefs) if briefs else ''
        return self.answer_template.format(**{'class': self.class_names[label], 'brief': brief}).strip()

    def loss(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> Dict[str, torch.Tensor]:
        """``loss_lm`` (+ ``loss_align``) and the answer's token accuracies, from one clip per sample."""
        labels = [int(ds.gt_label.view(-1)[0]) for ds in data_samples]
        if feats.shape[0] != len(labels):
            raise ValueError('LLMHead trains on one clip per sample')
        actions = self.training_list(labels)
        if self.align_only:
            return self._align_only_loss(feats, self.alignment_list(labels, actions))
        device = feats.device
        ans = build_answer_batch(self.prompt, [self.answer_text(y) for y in labels],
                                 [self.class_names[y] for y in labels], self.tokenizer.pad_token_id, device)
        A, valid = ans.length, ans.valid
        with autocast(device, self.autocast_dtype):
            action = self.action_tokens(feats)
            prefix, rest = self.prompt_parts(action, actions.names)
            rest = torch.cat([rest, self.lm.input_embeddings(ans.ids)], dim=1)
            # answers are right-padded after an identical-length prompt: the causal mask alone is correct
            if self.share_prompt_prefix and not (self.gradient_checkpointing and self.training):
                with torch.set_grad_enabled(self.prompt_prefix_grad and torch.is_grad_enabled()):
                    _, past = self.lm.forward(embeds=prefix)
                hidden, _ = self.lm.forward(embeds=rest, past=past, past_len=prefix.shape[1])
            else:
                hidden, _ = self.lm.forward(embeds=torch.cat([prefix.expand(len(labels), -1, -1), rest], dim=1),
                                            use_cache=False)
            L = hidden.shape[1] - A
            # the LM head (V x D, V = 32k-50k) on the real answer tokens only, as one 2-D matmul
            logits = self.lm.lm_head(hidden[:, L - 1:L - 1 + A][valid]).float()  # (n_valid, V)
        target = ans.ids[valid]
        out = dict(loss_lm=self.loss_cls(logits, target, ans.class_token[valid]))
        with torch.no_grad():
            hits = logits.argmax(-1) == target
            lens = valid.sum(1)
            out['answer_token_acc'] = hits.float().mean()
            out['first_token_acc'] = hits[torch.cumsum(lens, 0) - lens].float().mean()  # each answer's first
        if self.loss_align is not None:
            out.update(self._align_terms(action, self.alignment_list(labels, actions)))
        return out

    def alignment_list(self, labels: Sequence[int], actions: ActionList) -> ActionList:
        """The names ``loss_align`` contrasts (``align_targets``), with each sample's position among them."""
        if self.align_targets == 'list':
            return actions
        names = list(self.class_names)
        if self.align_targets == 'classes+list':
            known = set(names)
            names += [n for n in actions.names if n not in known]
        return ActionList(names, list(labels))

    def _align_terms(self, action: torch.Tensor, actions: ActionList) -> Dict[str, torch.Tensor]:
        """``loss_align`` (weighted) and ``align_acc`` of the action tokens (N, k, D) over the batch's list."""
        logits = self.loss_align.logits(action, self.class_name_embeddings(actions.names, action.device))
        target = torch.tensor(actions.targets, device=action.device)
        return dict(loss_align=self.loss_align(logits, target),
                    align_acc=(logits.argmax(-1) == target).float().mean().detach())

    def _align_only_loss(self, feats: torch.Tensor, actions: ActionList) -> Dict[str, torch.Tensor]:
        """Bridge warm-up step: ``loss_align`` alone, without running the LLM."""
        if self.loss_align is None:
            raise RuntimeError('LLMHead.align_only needs loss_align (a NameAlignmentLoss)')
        with autocast(feats.device, self.autocast_dtype):
            action = self.action_tokens(feats)
        out = self._align_terms(action, actions)
        # every trainable parameter stays in the graph (LoRA with a zero gradient), so DDP without
        # find_unused_parameters finds the gradients it waits for
        out['loss_align'] = out['loss_align'] + sum(p.sum() for n, p in self.named_parameters()
                                                    if p.requires_grad and not n.startswith('bridge.')) * 0.0
        return out

    # ----------------------------------------------------------------------------------------- prediction
    @torch.no_grad()
    def score_classes(self, action: torch.Tensor, class_names: Sequence[str],
                      state: Optional[PromptState] = None) -> torch.Tensor:
        """Per-class log-scores (N, K) following ``score_mode``, from one prompt forward (``state``) per sample."""
        state = state if state is not None else self.encode_prompt(action, class_names)
        trie = self.candidate_trie(class_names).to(action.device)
        if self.score_mode == 'constrained':
            return constrained_scores(self.lm, state, trie, self.score_chunk)
        return likelihood_scores(self.lm, state, trie, self.score_chunk, self.score_length_norm)

    @torch.no_grad()
    def generate(self, action: torch.Tensor, class_names: Sequence[str],
                 state: Optional[PromptState] = None) -> List[str]:
        """Greedy answers, decoded from the prompt's key/value cache (reused from scoring when given); their
        ``"{class}."`` spells a listed name when ``constrain_answers``."""
        state = state if state is not None else self.encode_prompt(action, class_names)
        eos = self.prompt.eos_token_id
        constraint = self.answer_constraint(class_names) if self.constrain_answers else None
        tokens = greedy_decode(self.lm, state, self.max_new_tokens, eos, self.tokenizer.pad_token_id,
                               logits_processor=constraint)
        rows = [row[:row.index(eos)] if eos in row else row for row in tokens.tolist()]
        return [self.tokenizer.decode(row, skip_special_tokens=True).strip() for row in rows]

    def predict(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        n = len(data_samples)
        num_clips = feats.shape[0] // n
        with autocast(feats.device, self.autocast_dtype), torch.no_grad():
            action = self.action_tokens(feats)  # (n * clips, k, D)
            state = self.encode_prompt(action, self.class_names)
            scores = self.score_classes(action, self.class_names, state).float()
            align = (None if self.loss_align is None else self.loss_align.logits(
                action, self.class_name_embeddings(self.class_names, action.device)).float())
            texts = []
            if self.generate_text:  # from the first clip of each sample, reusing its prompt cache
                first = torch.arange(0, n * num_clips, num_clips, device=feats.device)
                texts = (self.generate(action, self.class_names, state) if num_clips == 1 else
                         self.generate(action[first], self.class_names, state.select(first)))
        self.predict_by_feat(scores, data_samples)  # mmaction's clip averaging, pred_score / pred_label
        if align is not None:  # the bridge alone: its alignment classifier's probabilities, clip-averaged
            for ds, p in zip(data_samples, align.softmax(-1).view(n, num_clips, -1).mean(1)):
                ds.pred_align_score = p
        for ds, text in zip(data_samples, texts):
            parsed = parse_answer(text, self.class_names)
            ds.pred_text, ds.pred_text_label = text, parsed.label
            ds.parse_path, ds.parse_reason = parsed.path, parsed.reason
        return data_samples

    def forward(self, feats: torch.Tensor, **kwargs) -> torch.Tensor:
        """Class log-scores (N, K) (``mode='tensor'``)."""
        return self.score_classes(self.action_tokens(feats), self.class_names)
