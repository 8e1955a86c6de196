from . import atomic_io  # noqa: F401  (atomic local writes for checkpoints and dumps)
from .checkpoint_hook import CheckpointHook
from .hooks import BridgeWarmupHook, EpochSeedHook, ExportEncoderHook
from .work_dir_lock import WorkDirLock, WorkDirLockedError

__all__ = ['BridgeWarmupHook', 'CheckpointHook', 'EpochSeedHook', 'ExportEncoderHook', 'WorkDirLock',
           'WorkDirLockedError']
