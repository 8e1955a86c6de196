from .augment3d import RandomMirror3D, RandomRotateScale3D
from .prenormalize3d import FastPreNormalize3D

__all__ = ['FastPreNormalize3D', 'RandomMirror3D', 'RandomRotateScale3D']
