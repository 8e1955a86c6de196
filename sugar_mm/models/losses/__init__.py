from .mil_nce import mil_nce_loss

__all__ = ['mil_nce_loss']
