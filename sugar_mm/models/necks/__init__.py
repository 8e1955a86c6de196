from .vq_neck import ResidualVQNeck, VectorQuantizer, VQNeck

__all__ = ['VQNeck', 'ResidualVQNeck', 'VectorQuantizer']
