from .augment3d import RandomRotateScale3D

__all__ = ['RandomRotateScale3D']
