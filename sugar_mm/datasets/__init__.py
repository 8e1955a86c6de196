from .class_subsets import resolve_class_subset, zsl_class_names, zsl_splits
from .label_maps import LABEL_MAPS, load_label_map
from .layouts import LAYOUTS, SkeletonLayout, get_layout, register_layout
from .skeleton_dataset import SkeletonDataError, SkeletonDataset
from .transforms import RandomRotateScale3D

__all__ = [
    'LABEL_MAPS', 'load_label_map', 'LAYOUTS', 'SkeletonLayout', 'get_layout', 'register_layout',
    'SkeletonDataset', 'SkeletonDataError', 'resolve_class_subset', 'zsl_class_names', 'zsl_splits',
    'RandomRotateScale3D'
]
