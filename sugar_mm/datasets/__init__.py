from .label_maps import LABEL_MAPS, load_label_map
from .layouts import LAYOUTS, SkeletonLayout, get_layout, register_layout

__all__ = ['LABEL_MAPS', 'load_label_map', 'LAYOUTS', 'SkeletonLayout', 'get_layout', 'register_layout']
