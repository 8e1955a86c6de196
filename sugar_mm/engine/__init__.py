from . import atomic_io  # noqa: F401  (atomic local writes for checkpoints and dumps)
from .hooks import BridgeWarmupHook, EpochSeedHook, ExportEncoderHook

__all__ = ['BridgeWarmupHook', 'EpochSeedHook', 'ExportEncoderHook']
