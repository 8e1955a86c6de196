"""The linear zero-shot baseline: a linear classifier trained with cross-entropy on the seen classes, which
scores unseen classes by ConSE (Norouzi et al., ICLR 2014): the predicted semantic embedding is the
probability-weighted mean of the top-T seen class-name embeddings, and every candidate class is scored by the
cosine similarity of its name embedding to it.

This is how a plain linear classifier (the paper's Table-2 "linear" rows) can answer for classes it never saw;
for the training class list it is exactly the linear classifier (softmax over its logits).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.utils import SampleList

from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.knowledge.schema import name_only_knowledge
from sugar_mm.knowledge.text_bank import TextBank
from sugar_mm.registry import MODELS
from ..utils import pool_gcn_features


@MODELS.register_module()
class ConSEHead(BaseHead):
    """GCN pooling + linear classifier over ``train_class_names``; ConSE scoring for other class lists.

    Args:
        in_channels (int): Encoder channels.
        train_class_names (str | Sequence[str]): Classes of the classifier (label order of training).
        text_encoder (dict): Text encoder for the class-name embeddings (used for unseen classes only).
        class_names (str | Sequence[str], optional): Classes to score at test time (default: the training ones);
            ``tools/test.py --classes`` sets it. Any names: they are embedded as they are (the baseline uses no
            knowledge file).
        top_t (int): Seen classes combined by ConSE. Defaults to 5.
        dropout (float): Dropout before the classifier.
        text_cache_dir (str, optional): Text-bank cache.
        topk (tuple[int]): Training accuracies to log.
        average_clips (str, optional): How test clips are averaged (``'prob'``, ``'score'`` or None).
        init_cfg (dict, optional): As in mmengine.

    Input ``(N, M, C, T, V)``; training loss key ``loss_cls`` (mmaction's ``BaseHead`` cross-entropy).
    """

    def __init__(self,
                 in_channels: int,
                 train_class_names: Union[str, Sequence[str]],
                 text_encoder: dict,
                 class_names: Union[None, str, Sequence[str]] = None,
                 top_t: int = 5,
                 dropout: float = 0.0,
                 text_cache_dir: Optional[str] = None,
                 topk: Tuple[int, ...] = (1, 5),
                 average_clips: Optional[str] = 'prob',
                 init_cfg: Optional[dict] = None) -> None:
        train_names = load_label_map(train_class_names) if isinstance(train_class_names, str) \
            else list(train_class_names)
        names = train_names if class_names is None else (
            load_label_map(class_names) if isinstance(class_names, str) else list(class_names))
        super().__init__(num_classes=len(train_names), in_channels=in_channels, topk=topk,
                         average_clips=average_clips, init_cfg=init_cfg)
        self.train_class_names = train_names
        self.class_names = names
        self.top_t = top_t
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, len(train_names))
        self.zero_shot = names != train_names
        if self.zero_shot:
            bank_seen = TextBank(name_only_knowledge(train_names), text_encoder, kinds=('name', ),
                                 cache_dir=text_cache_dir)
            bank_test = TextBank(name_only_knowledge(names), text_encoder, kinds=('name', ), cache_dir=text_cache_dir)
            self.register_buffer('seen_names', bank_seen.per_class('name'), persistent=False)
            self.register_buffer('test_names', bank_test.per_class('name'), persistent=False)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """(N, M, C, T, V) -> class logits over the training classes (N, K_train)."""
        return self.fc_cls(self.dropout(pool_gcn_features(x)))

    def predict(self, feats, data_samples: SampleList, **kwargs) -> SampleList:
        logits = self(feats)
        if self.zero_shot:
            prob = logits.softmax(-1)
            top = prob.topk(min(self.top_t, prob.shape[1]), dim=-1)
            emb = (top.values.unsqueeze(-1) * self.seen_names[top.indices]).sum(1) / top.values.sum(1, True)
            sim = F.normalize(emb, dim=-1) @ self.test_names.t()  # cosine in [-1, 1]
            logits = sim / 0.05  # a sharp softmax over the candidates (ranking unchanged)
        return self.predict_by_feat(logits, data_samples)
