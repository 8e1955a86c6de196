"""Hooks of the SUGAR workflow."""
from __future__ import annotations

import os.path as osp
from functools import partial
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from sugar_mm.registry import HOOKS
from sugar_mm.utils.io import atomic_open


@HOOKS.register_module()
class ExportEncoderHook(Hook):
    """After training, write the encoder (``backbone.*`` and ``neck.*``) to ``{work_dir}/{filename}``.

    Stage 2 starts from this file (``SugarRecognizer(encoder_checkpoint=...)``). It holds tensors only, so it
    loads weights-only from anywhere, with a stable name whatever the epoch count.

    Args:
        filename (str): Output name. Defaults to ``'encoder.pth'``.
        source (str): ``'last'`` (the model at the end of training; the default, no selection on the
            validation split) or ``'best'`` (the ``save_best`` checkpoint of ``CheckpointHook``).
    """

    priority = 'LOWEST'

    def __init__(self, filename: str = 'encoder.pth', source: str = 'last') -> None:
        if source not in ('last', 'best'):
            raise ValueError(f'source must be "last" or "best", got {source!r}')
        self.filename = filename
        self.source = source

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = {k: v.detach().cpu() for k, v in model.state_dict().items() if k.startswith(('backbone.', 'neck.'))}
        origin = f'{runner.work_dir} (epoch {runner.epoch})'
        if self.source == 'best':
            best = self._best_checkpoint(runner)
            if best is None:
                raise RuntimeError('ExportEncoderHook(source="best") needs CheckpointHook(save_best=...)')
            from mmengine.runner.checkpoint import _load_checkpoint
            ckpt = _load_checkpoint(best, map_location='cpu', logger='silent')
            state = {k: v for k, v in ckpt['state_dict'].items() if k.startswith(('backbone.', 'neck.'))}
            origin = best
        if not state:
            raise RuntimeError('ExportEncoderHook found no backbone./neck. weights to export (a frozen encoder is '
                               'left out of state_dict: export from the stage that trains it)')
        path = osp.join(runner.work_dir, self.filename)
        if runner.rank == 0:
            with atomic_open(path, 'wb') as f:
                torch.save(dict(state_dict=state, meta=dict(source=origin)), f)
            runner.logger.info(f'encoder weights ({len(state)} tensors, from {origin}) written to {path}')

    @staticmethod
    def _best_checkpoint(runner) -> Optional[str]:
        for hook in runner.hooks:
            paths = getattr(hook, 'best_ckpt_path_dict', None) or {}
            best = getattr(hook, 'best_ckpt_path', None) or next(iter(paths.values()), None)
            if best:
                return best
        return None


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed every random generator at the start of each training epoch from ``(seed, epoch)``.

    A run resumed from a checkpoint then draws exactly the same samples and augmentations as an uninterrupted
    one (mmengine only seeds once, at start, so a resumed run otherwise continues from fresh generators).
    ``tools/train.py --deterministic`` adds this hook and turns off persistent dataloader workers (their
    generators would not be reseeded).
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        from mmengine.dataset.utils import worker_init_fn
        from mmengine.runner.utils import set_random_seed
        seed = (int(runner.seed) + 1_000_003 * runner.epoch) % (2**31)
        set_random_seed(seed, deterministic=bool(runner._randomness_cfg.get('deterministic', False)),
                        diff_rank_seed=bool(runner._randomness_cfg.get('diff_rank_seed', False)))
        loader = runner.train_dataloader
        if getattr(loader, 'num_workers', 0) > 0:
            if getattr(loader, 'persistent_workers', False):
                runner.logger.warning('EpochSeedHook: persistent dataloader workers keep their own generators; '
                                      'set persistent_workers=False for exactly reproducible resumes')
            loader.worker_init_fn = partial(worker_init_fn, num_workers=loader.num_workers, rank=runner.rank,
                                            seed=seed)


@HOOKS.register_module()
class BridgeWarmupHook(Hook):
    """Warm up a from-scratch bridge before the LLM trains: for the first ``epochs`` training epochs,
    :class:`~sugar_mm.models.heads.LLMHead` runs in ``align_only`` mode -- the bridge learns from the alignment
    loss alone (``loss_align``: mean action token vs the LLM's embeddings of the class names), the LLM is not run
    and LoRA does not move. Later epochs train as usual (answer loss + ``loss_align``).

    This is the analogue of BLIP-2's representation stage before its generative stage (a sugar_mm addition: the
    paper trains its TQP from scratch with the answer loss on ~40k NTU sequences). A warm-up epoch costs the
    frozen encoder's forward plus the bridge, a small fraction of an LLM epoch. Resuming is safe: the mode
    follows ``runner.epoch``.

    Args:
        epochs (int): Number of warm-up epochs (>= 1, fewer than ``max_epochs``).
        bridge_only (bool): Allow ``epochs == max_epochs``: a run that trains the bridge alone (LoRA stays at its
            initialisation), e.g. to screen bridge settings on the alignment classifier's accuracy
            (``llm/align_top1``) at a fraction of a stage-2 run's cost.
    """

    priority = 'NORMAL'

    def __init__(self, epochs: int, bridge_only: bool = False) -> None:
        if epochs < 1:
            raise ValueError(f'BridgeWarmupHook needs epochs >= 1, got {epochs}')
        self.epochs = int(epochs)
        self.bridge_only = bool(bridge_only)

    @staticmethod
    def _head(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'cls_head', None)
        if head is None or not hasattr(head, 'align_only'):
            raise TypeError(f'BridgeWarmupHook needs a model whose cls_head is an LLMHead, got '
                            f'{type(head).__name__}')
        return head

    def before_train(self, runner) -> None:
        head = self._head(runner)
        if getattr(head, 'loss_align', None) is None:
            raise ValueError('BridgeWarmupHook needs cls_head.loss_align (a NameAlignmentLoss: the warm-up trains '
                             'on it)')
        if self.epochs > runner.max_epochs or (self.epochs == runner.max_epochs and not self.bridge_only):
            raise ValueError(f'BridgeWarmupHook(epochs={self.epochs}) leaves no epoch of LLM training '
                             f'(max_epochs={runner.max_epochs}); bridge_only=True trains the bridge alone')

    def before_train_epoch(self, runner) -> None:
        head = self._head(runner)
        warm = runner.epoch < self.epochs
        if warm != head.align_only or runner.epoch == 0:
            runner.logger.info(f'epoch {runner.epoch + 1}: ' + (
                f'bridge warm-up (alignment loss only, LLM not run; {self.epochs} epochs)' if warm
                else 'LLM training (answer loss + alignment loss)'))
        head.align_only = warm

    def after_train(self, runner) -> None:
        self._head(runner).align_only = False
