"""``SugarRecognizer``: skeleton encoder -> (optional) neck -> head, for both SUGAR stages.

mmaction's ``RecognizerGCN`` never calls a neck; SUGAR needs one (VQ tokens) and, in stage 2, a frozen
encoder loaded from a stage-1 checkpoint whose weights must not be written into stage-2 checkpoints.
"""
from __future__ import annotations

import inspect
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmaction.models.recognizers import BaseRecognizer
from mmaction.utils import OptSampleList, SampleList
from mmengine.logging import print_log

from sugar_mm.registry import MODELS


class EncoderCheckpointMissing(FileNotFoundError):
    """The stage-1 checkpoint a stage-2 config starts from does not exist."""


@MODELS.register_module()
class SugarRecognizer(BaseRecognizer):
    """Skeleton recognizer with a neck and an optionally frozen, pre-trained encoder.

    Args:
        backbone (dict): Any mmaction GCN backbone config (``CTRGCN``, ``STGCN``, ``AAGCN``...).
        cls_head (dict): Head config (``KnowledgeContrastHead``, ``LLMHead``, mmaction's ``GCNHead``...).
        neck (dict, optional): Neck config (``VQNeck``/``ResidualVQNeck``); it returns ``(features, aux)``
            where ``aux`` holds its losses/metrics.
        keep_temporal_resolution (bool): Remove the backbone's temporal down-sampling (``down_stages=[]``) so
            the encoder outputs the whole time series (SUGAR). Works for every backbone with a ``down_stages``
            argument. Defaults to True.
        encoder_checkpoint (str, optional): A checkpoint (e.g. of stage 1) to take ``backbone.*`` (and
            ``neck.*``) weights from, at build time.
        encoder_checkpoint_hint (str, optional): The command that produces ``encoder_checkpoint``, shown when it
            is missing.
        freeze_encoder (bool): Freeze backbone and neck (``requires_grad=False``, eval mode, no gradients)
            and leave their weights out of checkpoints (they come from ``encoder_checkpoint``).
        strict_checkpoint_loading (bool): When a checkpoint (``load_from``, resume, test) does not match this
            model, raise one short, grouped report instead of mmengine's warning listing every key. Frozen parts
            that are never saved are not counted as missing. Set False to fine-tune from a different model.
        data_preprocessor (dict, optional): Defaults to mmaction's ``ActionDataPreprocessor`` (stacks the batch).
        train_cfg, test_cfg, init_cfg: as in mmaction.
    """

    def __init__(self,
                 backbone: dict,
                 cls_head: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 keep_temporal_resolution: bool = True,
                 encoder_checkpoint: Optional[str] = None,
                 encoder_checkpoint_hint: Optional[str] = None,
                 freeze_encoder: bool = False,
                 strict_checkpoint_loading: bool = True,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        backbone = dict(backbone)
        if keep_temporal_resolution:
            # the class that the build below makes (same scope rules)
            with MODELS.switch_scope_and_registry(backbone.get('_scope_')) as registry:
                cls = registry.get(backbone['type'])
            if cls is None:
                raise KeyError(f'unknown backbone type {backbone["type"]!r}')
            if 'down_stages' not in inspect.signature(cls.__init__).parameters:
                raise ValueError(f'keep_temporal_resolution=True needs a backbone with a `down_stages` argument; '
                                 f'{backbone["type"]} has none (set keep_temporal_resolution=False)')
            backbone['down_stages'] = []
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmaction.ActionDataPreprocessor')
        super().__init__(backbone=backbone, cls_head=cls_head, neck=neck, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor)
        if init_cfg is not None:
            self.init_cfg = init_cfg
        self.keep_temporal_resolution = keep_temporal_resolution
        self.encoder_checkpoint = encoder_checkpoint
        self.encoder_checkpoint_hint = encoder_checkpoint_hint
        self.freeze_encoder = freeze_encoder
        if encoder_checkpoint is not None:
            self.load_encoder(encoder_checkpoint)
        if freeze_encoder:
            for m in self.encoder_modules():
                m.requires_grad_(False)
                m.eval()
        self.strict_checkpoint_loading = strict_checkpoint_loading
        self._register_state_dict_hook(_drop_frozen_encoder)
        self.register_load_state_dict_post_hook(_check_loaded_keys)

    # ----------------------------------------------------------------------------------------------------
    def encoder_modules(self) -> List[nn.Module]:
        return [self.backbone] + ([self.neck] if self.with_neck else [])

    def load_encoder(self, checkpoint: str) -> None:
        """Load ``backbone.*`` (and ``neck.*``) weights from a full-model checkpoint, strictly."""
        if not osp.isfile(checkpoint):
            hint = f' Produce it with: {self.encoder_checkpoint_hint}' if self.encoder_checkpoint_hint else ''
            raise EncoderCheckpointMissing(f'encoder checkpoint {checkpoint} not found.{hint}')
        from mmengine.runner.checkpoint import _load_checkpoint
        ckpt = _load_checkpoint(checkpoint, map_location='cpu', logger='silent')
        state = ckpt.get('state_dict', ckpt)
        has_neck_weights = any(k.startswith('neck.') for k in state)
        if has_neck_weights != self.with_neck:  # a frozen random codebook, or trained codes left out
            raise KeyError(f'{checkpoint} ' + ('has no "neck.*" weights but this config has a neck: train its stage 1 '
                                               'with the same neck' if self.with_neck else
                                               'holds a neck ("neck.*" weights) but this config has none: add the '
                                               'stage-1 config\'s neck'))
        for name, module in (('backbone', self.backbone), ('neck', self.neck if self.with_neck else None)):
            if module is None:
                continue
            prefix = name + '.'
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if not sub:
                raise KeyError(f'{checkpoint} has no "{prefix}*" weights (keys start with '
                               f'{sorted({k.split(".")[0] for k in state})})')
            result = module.load_state_dict(sub, strict=False)
            if result.missing_keys or result.unexpected_keys:
                raise RuntimeError(
                    f'{checkpoint}: its {name} does not match this config\'s {name} '
                    f'({type(module).__name__}): {len(result.missing_keys)} missing keys (e.g. '
                    f'{result.missing_keys[:3]}), {len(result.unexpected_keys)} unexpected (e.g. '
                    f'{result.unexpected_keys[:3]}). Was it trained with the same encoder settings?')
        print_log(f'loaded encoder weights from {checkpoint}', logger='current')

    def init_weights(self) -> None:
        super().init_weights()
        if self.encoder_checkpoint is not None:  # init_weights re-initialised the encoder: load it again
            self.load_encoder(self.encoder_checkpoint)

    def train(self, mode: bool = True) -> 'SugarRecognizer':
        super().train(mode)
        if self.freeze_encoder:
            for m in self.encoder_modules():
                m.eval()
        return self

    # ----------------------------------------------------------------------------------------------------
    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'neck',
                     data_samples: OptSampleList = None,
                     test_mode: bool = False) -> Tuple:
        """Encoder (and neck) features.

        Args:
            inputs (Tensor): ``(B, num_clips, M, T, V, C)``.
            stage (str): ``'backbone'``, ``'neck'`` or ``'head'``.

        Returns:
            tuple: features ``(B * num_clips, M, C, T', V)`` (or the head output) and a dict whose
            ``loss_aux`` holds the neck's losses/metrics.
        """
        bs, nc = inputs.shape[:2]
        inputs = inputs.reshape((bs * nc, ) + inputs.shape[2:])
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_encoder):
            x = self.backbone(inputs)
            kwargs: Dict = {}
            if stage == 'backbone':
                return x, kwargs
            if self.with_neck:
                x, aux = self.neck(x)
                if not test_mode:
                    kwargs['loss_aux'] = aux
        if stage == 'head' and self.with_cls_head:
            return self.cls_head(x), kwargs
        return x, kwargs

    def loss(self, inputs: torch.Tensor, data_samples: SampleList, **kwargs) -> dict:
        feats, kw = self.extract_feat(inputs, data_samples=data_samples)
        losses = dict(self.cls_head.loss(feats, data_samples))
        for k, v in kw.get('loss_aux', {}).items():
            if k in losses:
                raise KeyError(f'neck and head both report {k!r}')
            losses[k] = v
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        feats, _ = self.extract_feat(inputs, test_mode=True)
        return self.cls_head.predict(feats, data_samples)

    # ----------------------------------------------------------------------------------------------------
    def is_frozen_key(self, key: str) -> bool:
        """Whether a state-dict key belongs to a frozen part that is never saved (rebuilt from its source:
        the encoder from ``encoder_checkpoint``, a frozen LLM from its pretrained path)."""
        if self.freeze_encoder and key.startswith(('backbone.', 'neck.')):
            return True
        if key.startswith('cls_head.') and hasattr(self.cls_head, 'is_frozen_state_key'):
            return self.cls_head.is_frozen_state_key(key[len('cls_head.'):])
        return False



def checkpoint_mismatch_report(missing: Sequence[str], unexpected: Sequence[str]) -> str:
    """A short, grouped description of a state-dict mismatch (not a wall of keys)."""

    def group(keys):
        counts: Dict[str, int] = {}
        for k in keys:
            top = '.'.join(k.split('.')[:2])
            counts[top] = counts.get(top, 0) + 1
        return ', '.join(f'{k}.* ({n})' for k, n in sorted(counts.items()))

    lines = ['the checkpoint was made with a different config:']
    if missing:
        lines.append(f'  missing from the checkpoint: {len(missing)} tensors in {group(missing)}')
    if unexpected:
        lines.append(f'  not in this model: {len(unexpected)} tensors in {group(unexpected)}')
    return '\n'.join(lines)


def _drop_frozen_encoder(module: SugarRecognizer, state_dict, prefix: str, local_metadata) -> None:
    """State-dict hook: leave frozen parts (encoder, frozen LLM) out of checkpoints."""
    for k in [k for k in state_dict if k.startswith(prefix) and module.is_frozen_key(k[len(prefix):])]:
        del state_dict[k]


def _check_loaded_keys(module: SugarRecognizer, incompatible_keys) -> None:
    """Load post-hook: frozen parts are expected to be absent; report real mismatches once, briefly."""
    missing = incompatible_keys.missing_keys
    unexpected = incompatible_keys.unexpected_keys
    missing[:] = [k for k in missing if not module.is_frozen_key(k) and 'num_batches_tracked' not in k]
    if not missing and not unexpected:
        return
    report = checkpoint_mismatch_report(missing, unexpected)
    if module.strict_checkpoint_loading:
        raise RuntimeError(report + '\n(set model.strict_checkpoint_loading=False to load it anyway)')
    print_log(report, logger='current', level=30)
    missing.clear()
    unexpected.clear()
