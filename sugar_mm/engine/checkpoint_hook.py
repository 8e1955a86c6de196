"""``CheckpointHook`` that never loses the last good checkpoint, and signs what it writes.

mmengine's ``CheckpointHook`` deletes the oldest kept checkpoint (``max_keep_ckpts``) and the previous best one
(``save_best``) *before* it writes the new one: when the save fails (a full disk, a directory in the way, a crash)
no checkpoint is left with ``max_keep_ckpts=1``, and ``last_checkpoint`` names a file that no longer exists, so
``--resume auto`` fails. This subclass removes an old checkpoint only after the new one is written (atomically,
:mod:`sugar_mm.engine.atomic_io`) and ``last_checkpoint`` (also written atomically) names it; a failed save leaves
every earlier file, ``last_checkpoint`` and the hook's state as they were.

It also signs each checkpoint it writes (:mod:`sugar_mm.utils.checkpoint_signatures`), which is what lets this
user's later loads of it unpickle it fully (:mod:`sugar_mm.compat.checkpoint_loading`).

Registered in sugar_mm's scope under mmengine's name, ``CheckpointHook`` (as sugar_mm's ``CTRGCN`` is; see
:mod:`sugar_mm.registry`), so every config with ``default_scope='sugar_mm'`` gets it, including a config that
writes ``default_hooks.checkpoint = dict(type='CheckpointHook', ...)``; ``mmengine.CheckpointHook`` names the
upstream one.
"""
from __future__ import annotations

import os.path as osp
from typing import Any, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from sugar_mm.registry import HOOKS
from sugar_mm.utils.checkpoint_signatures import forget_checkpoint, sign_checkpoint
from sugar_mm.utils.io import atomic_write_text


class _DeferredRemoval:
    """A file backend whose ``remove``/``rmtree`` only note the path (the rest is the wrapped backend's)."""

    def __init__(self, backend: Any, pending: List[str]) -> None:
        self._backend = backend
        self._pending = pending

    def remove(self, path: str) -> None:
        self._pending.append(str(path))

    def rmtree(self, path: str) -> None:
        self._pending.append(str(path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module(name='CheckpointHook')
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments), with safe rotation and signed checkpoints.

    See the module docstring. Old checkpoints (rotation, previous best) are removed after the new checkpoint
    and ``last_checkpoint`` are written, never before.
    """

    _RUNTIME_KEYS = ('keep_ckpt_ids', 'last_ckpt')

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """As mmengine's, but the checkpoint that rotation drops is removed after the new one is saved."""
        hub = runner.message_hub
        before = dict(keep=list(getattr(self, 'keep_ckpt_ids', [])), last=self.last_ckpt,
                      info={k: hub.runtime_info[k] for k in self._RUNTIME_KEYS if k in hub.runtime_info})
        evicted: Optional[str] = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                evicted = self.file_backend.join_path(self.out_dir,
                                                      self.filename_tmpl.format(self.keep_ckpt_ids.popleft()))
            self.keep_ckpt_ids.append(step)
            hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))  # saved in the checkpoint, as upstream
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        hub.update_info('last_ckpt', self.last_ckpt)
        try:
            runner.save_checkpoint(self.out_dir, ckpt_filename, self.file_client_args,
                                   save_optimizer=self.save_optimizer, save_param_scheduler=self.save_param_scheduler,
                                   meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        except BaseException:
            failed = self.last_ckpt
            self._restore(runner, before)
            kept = before['last'] or 'no earlier checkpoint'
            runner.logger.error(f'checkpoint {failed} could not be saved; nothing was removed: {kept} is kept and '
                                'last_checkpoint still names it (`--resume auto` continues from it)')
            raise
        if not is_main_process():  # model-parallel saves gather on every rank; only rank 0 writes files
            return
        self._sign(runner, self.last_ckpt)
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if evicted is not None and evicted != self.last_ckpt:
            self._remove(runner, evicted)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """As mmengine's, but the previous best checkpoint is removed after the new best one is saved."""
        if not self.save_best:
            return
        pending: List[str] = []
        backend = self.file_backend
        before = self._best_paths()
        self.file_backend = _DeferredRemoval(backend, pending)
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        if not is_main_process():
            return
        for path in self._best_paths() - before:
            self._sign(runner, path)
        for path in pending:
            self._remove(runner, path)

    def _best_paths(self) -> set:
        paths = [getattr(self, 'best_ckpt_path', None)] + list((getattr(self, 'best_ckpt_path_dict', None) or {})
                                                                .values())
        return {p for p in paths if p}

    def _restore(self, runner, before: dict) -> None:
        """Undo a failed save's bookkeeping: kept ids, ``last_ckpt`` and their message-hub entries."""
        if self.max_keep_ckpts > 0:
            self.keep_ckpt_ids.clear()
            self.keep_ckpt_ids.extend(before['keep'])
        self.last_ckpt = before['last']
        hub = runner.message_hub
        for key in self._RUNTIME_KEYS:
            if key in before['info']:
                hub.update_info(key, before['info'][key])
            else:
                hub.runtime_info.pop(key, None)

    def _sign(self, runner, path: str) -> None:
        if not osp.isfile(path):  # a remote backend (s3://, ...) or a directory-style checkpoint: not signed
            return
        if not sign_checkpoint(path):
            runner.logger.warning(f'{path} is not signed: the signing key cannot be read or made (see '
                                  'sugar_mm.utils.checkpoint_signatures); loading it later is weights-only')

    def _remove(self, runner, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are directories
            self.file_backend.rmtree(path)
        else:
            return
        if '://' not in str(path):
            forget_checkpoint(path)
