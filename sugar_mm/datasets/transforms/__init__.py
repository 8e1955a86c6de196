from .augment3d import RandomRotateScale3D
from .prenormalize3d import FastPreNormalize3D

__all__ = ['FastPreNormalize3D', 'RandomRotateScale3D']
