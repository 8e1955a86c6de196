"""Stage-1 head: align pooled skeleton features with the knowledge text bank (SUGAR, paper Sec. 3.2)."""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.utils import SampleList

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.evaluation.functional import top_k_accuracy
from sugar_mm.knowledge.text_bank import TextBank
from sugar_mm.registry import MODELS
from ..losses.mil_nce import mil_nce_loss
from ..utils import clamped_logit_scale, pool_gcn_features

KNOWLEDGE_TYPES = ('motion', 'visual')


@MODELS.register_module()
class KnowledgeContrastHead(BaseHead):
    """Knowledge-contrast head with the multi-positive MIL-NCE loss.

    Pools the encoder output over time, joints and persons, projects it linearly into the text space and
    contrasts it with the embeddings of the action knowledge: each sample's positives are the motion
    description and (a random draw of) the visual descriptions of its class, the negatives every other class's
    texts. At test time ``pred_score`` is the softmax over classes of the MIL-NCE score of each class's texts
    (``test_scoring``), so the stage-1 model is itself a classifier
    usable with ``AccMetric``, ``--dump`` and mmaction's analysis tools. New class names (zero-shot) only need a
    new text bank: see ``class_names`` and ``allow_unknown_classes``.

    Args:
        in_channels (int): Encoder channels C.
        text_encoder (dict): Config of the frozen text encoder (``SentenceTextEncoder``/``CLIPTextEncoder``).
        knowledge (str): Knowledge file (shipped dataset name or JSON path).
        class_names (str | Sequence[str], optional): Label map (name/path) or names of the classes, in label order.
            Defaults to every class of the knowledge file.
        allow_unknown_classes (bool): Let class names missing from the knowledge file use name-only text.
        knowledge_types (Sequence[str]): Positives: ``('motion', 'visual')`` (paper), ``('motion',)``,
            ``('visual',)`` or ``()`` (no knowledge: cross-entropy only, the paper's Table-3 baseline).
        num_visual_samples (int): Visual descriptions drawn per class per step (the paper's "random
            combination"); ``0`` uses all of them.
        temperature (float): Initial temperature tau. Defaults to 0.07.
        learnable_temperature (bool): Learn ``log(1/tau)`` (clamped to tau >= 0.01).
        ce_weight (float): Weight of an auxiliary cross-entropy term on a linear classifier (0 disables it;
            required > 0 when ``knowledge_types`` is empty).
        dropout (float): Dropout before the projection.
        text_cache_dir (str, optional): Where the text bank caches its embeddings.
        test_scoring (str): How a class is scored at test time. ``'mil'`` (default): the MIL-NCE posterior,
            ``log mean_{t in class} exp(s . t / tau)`` over the class's positive texts, consistent with the
            training loss (which only needs a sample close to *some* of its texts); ``'prototype'``: similarity
            to the normalised mean of the class's texts.
        center_texts (bool): Subtract the mean knowledge-text embedding (of the training classes) before
            normalising every text, so that what all classes' texts share (``"hip remains stationary"``...) no
            longer crowds them together: MiniLM's motion texts of two MSR classes have cosine 0.67 on average,
            0.28 after centring (``tools/analysis/text_bank_stats.py``). The mean is a persistent buffer: a zero-shot head built on other classes loads
            the training classes' mean from the checkpoint. Not in the paper (see docs/design.md).
        topk (tuple[int]): Training accuracies to log.
        average_clips (str): How test clips are averaged (``'prob'``, ``'score'`` or None).

    Input ``(N, M, C, T, V)``; training loss keys ``loss_milnce`` (and ``loss_ce``), metrics ``top1_acc``...
    """

    def __init__(self,
                 in_channels: int,
                 text_encoder: dict,
                 knowledge: str,
                 class_names: Union[None, str, Sequence[str]] = None,
                 allow_unknown_classes: bool = False,
                 knowledge_types: Sequence[str] = KNOWLEDGE_TYPES,
                 num_visual_samples: int = 2,
                 temperature: float = 0.07,
                 learnable_temperature: bool = True,
                 ce_weight: float = 0.0,
                 dropout: float = 0.0,
                 text_cache_dir: Optional[str] = None,
                 test_scoring: str = 'mil',
                 center_texts: bool = False,
                 topk: Tuple[int, ...] = (1, 5),
                 average_clips: Optional[str] = 'prob',
                 init_cfg: Optional[dict] = None) -> None:
        knowledge_types = tuple(knowledge_types)
        bad = [k for k in knowledge_types if k not in KNOWLEDGE_TYPES]
        if bad:
            raise ValueError(f'knowledge_types must be a subset of {KNOWLEDGE_TYPES}, got {knowledge_types}')
        if not knowledge_types and ce_weight <= 0:
            raise ValueError('with no knowledge_types the head trains with cross-entropy only: set ce_weight > 0')
        if isinstance(class_names, str):
            class_names = load_label_map(class_names)
        bank = TextBank(knowledge, text_encoder, class_names=class_names,
                        allow_unknown_classes=allow_unknown_classes,
                        kinds=('name', ) + KNOWLEDGE_TYPES, cache_dir=text_cache_dir)
        super().__init__(num_classes=bank.num_classes, in_channels=in_channels, topk=topk,
                         average_clips=average_clips, init_cfg=init_cfg)
        del self.loss_cls  # BaseHead always builds one; this head's losses are MIL-NCE and its ``ce_weight`` CE
        self.class_names = bank.class_names
        self.knowledge_types = knowledge_types
        self.num_visual_samples = num_visual_samples
        self.ce_weight = ce_weight
        self.text_dim = bank.embed_dim
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.proj = nn.Linear(in_channels, self.text_dim)
        init_scale = torch.tensor(math.log(1.0 / temperature))
        if learnable_temperature:
            self.logit_scale = nn.Parameter(init_scale)
        else:
            self.register_buffer('logit_scale', init_scale)
        self.fc_cls = nn.Linear(in_channels, self.num_classes) if ce_weight > 0 else None
        if test_scoring not in ('mil', 'prototype'):
            raise ValueError(f'test_scoring must be "mil" or "prototype", got {test_scoring!r}')
        self.test_scoring = test_scoring

        # text embeddings: derived data (cached on disk), never stored in checkpoints
        motion, motion_cls = bank.select('motion')
        visual, visual_cls = bank.select('visual')
        self.register_buffer('motion_emb', motion, persistent=False)  # (K, D)
        self.register_buffer('motion_cls', motion_cls, persistent=False)
        self.register_buffer('visual_emb', visual, persistent=False)  # (N_vis, D)
        self.register_buffer('visual_cls', visual_cls, persistent=False)
        kinds = [k for k in knowledge_types]
        all_emb = torch.cat([motion if 'motion' in kinds else motion[:0], visual if 'visual' in kinds else visual[:0]])
        all_cls = torch.cat([motion_cls if 'motion' in kinds else motion_cls[:0],
                             visual_cls if 'visual' in kinds else visual_cls[:0]])
        self.register_buffer('all_texts', all_emb, persistent=False)  # the positives of every class
        self.register_buffer('all_texts_cls', all_cls, persistent=False)
        prototype_kinds = knowledge_types or ('name', )
        proto = torch.stack([bank.per_class(k) for k in prototype_kinds]).mean(0)
        self.register_buffer('prototypes', F.normalize(proto, dim=-1), persistent=False)  # (K, D)
        self.center_texts = center_texts
        if center_texts:
            pool = all_emb if all_emb.numel() else bank.select('name')[0]
            self.register_buffer('text_center', pool.mean(0))  # (D,), saved: zero-shot heads reuse it

    # ------------------------------------------------------------------------------------------------------
    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, C, T, V) -> (N, C): mean over time, joints and persons."""
        return pool_gcn_features(x)

    @property
    def scale(self) -> torch.Tensor:
        """The similarity multiplier ``1 / tau`` (the learned scale, clamped to tau >= 0.01)."""
        return clamped_logit_scale(self.logit_scale)

    @property
    def temperature(self) -> torch.Tensor:
        return 1.0 / self.scale

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, C, T, V) -> (N, D) L2-normalised embedding in the text space."""
        return F.normalize(self.proj(self.dropout(self.pool(x))), dim=-1)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """Class scores (N, K): similarity to the class prototypes / tau, or the CE classifier's logits when
        the head was trained without knowledge."""
        if not self.knowledge_types:
            return self.fc_cls(self.pool(x))
        return self.class_scores(self.embed(x))

    def texts(self, emb: torch.Tensor) -> torch.Tensor:
        """(n, D) text embeddings as compared with skeletons: centred (``center_texts``) and L2-normalised."""
        if not self.center_texts:
            return emb
        return F.normalize(emb - self.text_center, dim=-1)

    def class_scores(self, emb: torch.Tensor) -> torch.Tensor:
        """(N, D) normalised embeddings -> (N, K) class scores (``test_scoring``)."""
        scale = self.scale
        if self.test_scoring == 'prototype':
            return scale * emb @ self.texts(self.prototypes).t()
        return self.class_log_mean_exp(scale * emb @ self.texts(self.all_texts).t())

    def class_log_mean_exp(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, N_texts) text logits -> (N, K): ``log mean exp`` over each class's texts."""
        out = logits.new_full((logits.shape[0], self.num_classes), torch.finfo(logits.dtype).min)
        for k in range(self.num_classes):  # K is small; texts of a class are few
            cols = self.all_texts_cls == k
            out[:, k] = torch.logsumexp(logits[:, cols], dim=1) - math.log(int(cols.sum()))
        return out

    def _training_texts(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """This step's candidate texts (embeddings, class ids): motion + a random draw of visual texts."""
        embs, cls = [], []
        if 'motion' in self.knowledge_types:
            embs.append(self.motion_emb)
            cls.append(self.motion_cls)
        if 'visual' in self.knowledge_types:
            if self.num_visual_samples <= 0:
                embs.append(self.visual_emb)
                cls.append(self.visual_cls)
            else:
                # per class, draw num_visual_samples of its visual texts (without replacement when possible)
                rand = torch.rand(self.visual_cls.shape[0], device=self.visual_cls.device)
                order = torch.argsort(self.visual_cls * 2.0 + rand)  # group by class, random inside the class
                sorted_cls = self.visual_cls[order]
                first = torch.searchsorted(sorted_cls, sorted_cls, right=False)
                rank = torch.arange(sorted_cls.numel(), device=sorted_cls.device) - first
                keep = order[rank < self.num_visual_samples]
                embs.append(self.visual_emb[keep])
                cls.append(self.visual_cls[keep])
        return torch.cat(embs), torch.cat(cls)

    def loss(self, feats: torch.Tensor, data_samples: SampleList, **kwargs) -> Dict[str, torch.Tensor]:
        labels = torch.cat([ds.gt_label.view(-1) for ds in data_samples]).to(feats.device)
        losses: Dict[str, torch.Tensor] = {}
        pooled = self.pool(feats)
        if self.knowledge_types:
            emb = F.normalize(self.proj(self.dropout(pooled)), dim=-1)
            texts, text_cls = self._training_texts()
            logits = self.scale * emb @ self.texts(texts).t()
            losses['loss_milnce'] = mil_nce_loss(logits, text_cls[None, :] == labels[:, None])
            scores = self.class_scores(emb.detach())
            losses['temperature'] = self.temperature.detach()
        if self.fc_cls is not None:
            ce_logits = self.fc_cls(self.dropout(pooled))
            losses['loss_ce'] = self.ce_weight * F.cross_entropy(ce_logits, labels)
            if not self.knowledge_types:
                scores = ce_logits
        accs = top_k_accuracy(scores.detach().cpu().numpy(), labels.cpu().numpy(), self.topk)
        for k, a in accs.items():
            losses[f'top{k}_acc'] = torch.tensor(a, device=feats.device)
        return losses
