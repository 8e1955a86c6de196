from .hooks import ExportEncoderHook

__all__ = ['ExportEncoderHook']
