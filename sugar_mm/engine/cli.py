"""Shared logic of ``tools/train.py`` and ``tools/test.py`` (argument -> config merging, runner building)."""
from __future__ import annotations

import contextlib
import os
import os.path as osp
from argparse import Namespace
from typing import Iterator, Optional

from mmengine.config import Config


def _default_work_dir(config: str) -> str:
    return osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])


def build_runner_cfg(args: Namespace, mode: str) -> Config:
    """Load ``args.config`` and merge the command-line flags the way mmaction's tools do.

    Args:
        args (Namespace): Parsed arguments of tools/train.py or tools/test.py.
        mode (str): ``'train'`` or ``'test'``.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = _default_work_dir(args.config)
    if getattr(args, 'trust_checkpoint', False):
        os.environ['SUGAR_MM_TRUST_CHECKPOINTS'] = '1'  # inherited by dataloader workers and DDP ranks

    if mode == 'train':
        _merge_train_args(cfg, args)
    elif mode == 'test':
        _merge_test_args(cfg, args)
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    return cfg


def _merge_train_args(cfg: Config, args: Namespace) -> None:
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a GPU: mmengine\'s AmpOptimWrapper runs on CUDA/NPU/MLU only. On CPU, '
                             'leave it off (the LLM head\'s `autocast_dtype` controls bf16 autocast separately).')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise SystemExit(f'--amp only works with OptimWrapper, the config uses {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise SystemExit('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    randomness = dict(cfg.get('randomness', None) or {})
    randomness.setdefault('seed', None)  # mmengine draws one (and logs it) when None
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.deterministic:
        randomness['deterministic'] = True
        # exactly reproducible resumes: reseed per epoch, and no persistent workers (they keep their generators)
        hooks = list(cfg.get('custom_hooks', None) or [])
        if not any(h.get('type') == 'EpochSeedHook' for h in hooks):
            hooks.append(dict(type='EpochSeedHook'))
        cfg.custom_hooks = hooks
        if cfg.get('train_dataloader', None):
            cfg.train_dataloader.persistent_workers = False
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    cfg.randomness = randomness


def _merge_test_args(cfg: Config, args: Namespace) -> None:
    cfg.load_from = args.checkpoint
    if args.classes is not None:
        apply_test_classes(cfg, args.classes, args.knowledge)
    elif args.knowledge is not None:
        raise SystemExit('--knowledge is used with --classes')
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'--dump must be a .pkl file, got {args.dump}')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump_metric]
        else:
            cfg.test_evaluator = [evaluator, dump_metric]


def apply_test_classes(cfg: Config, classes: str, knowledge: Optional[str] = None) -> None:
    """Evaluate against another class list (zero-shot), without retraining.

    The test set keeps only samples of these classes (labels remapped to the new list's order), and the
    model's head scores the new names: the stage-1 text head re-encodes a text bank for them, the LLM head puts
    them into the prompt's action list. A linear head cannot score classes it was not trained on.
    """
    from sugar_mm.datasets.label_maps import load_label_map
    from sugar_mm.models.heads.retarget import head_init_args, retarget_head
    names = load_label_map(classes)
    head = cfg.model.get('cls_head', None)
    scope = cfg.get('default_scope', None)
    if head is None or 'class_names' not in head_init_args(head, scope):
        raise SystemExit(f'--classes needs a head that scores class names (KnowledgeContrastHead, LLMHead, '
                         f'ConSEHead); this config\'s head is {None if head is None else head.get("type")}, a '
                         'linear classifier cannot score classes it was not trained on')
    retarget_head(head, names, knowledge, scope)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset and 'ann_file' not in dataset:  # wrappers (RepeatDataset, ...)
        dataset = dataset.dataset
    if dataset.get('classes', None) is None:
        raise SystemExit('--classes needs the test dataset\'s full label map in `classes=` to select its samples')
    dataset.class_subset = names


def build_runner(cfg: Config):
    """``Runner.from_cfg`` (or the config's ``runner_type``)."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def _launcher_rank() -> int:
    """This process's global rank as the launchers set it (torchrun, slurm, mpirun); 0 without one."""
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK'):
        if os.environ.get(var, '').isdigit():
            return int(os.environ[var])
    return 0


@contextlib.contextmanager
def work_dir_lock(cfg: Config, args: Namespace) -> Iterator[None]:
    """Hold ``{work_dir}/train.lock`` (:class:`~sugar_mm.engine.work_dir_lock.WorkDirLock`) on rank 0 while the
    ``with`` block trains; another live training of the work dir makes this one exit with a message naming it.

    ``args.break_lock`` takes over a lock whose holder cannot be shown dead (e.g. one from another host).
    """
    from .work_dir_lock import WorkDirLock, WorkDirLockedError
    if _launcher_rank() != 0:
        yield
        return
    lock = WorkDirLock(cfg.work_dir, force=bool(getattr(args, 'break_lock', False)))
    try:
        lock.acquire()
    except WorkDirLockedError as e:
        raise SystemExit(f'error: {e}') from None
    try:
        yield
    finally:
        lock.release()
