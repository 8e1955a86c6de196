from .bridges import (BRIDGES, CrossAttentionBridge, LinearBridge, MLPBridge, QFormerBridge,
                      TemporalQueryProjection, build_bridge)
from .qformer import QFormer, QFormerLayer

__all__ = [
    'BRIDGES', 'build_bridge', 'LinearBridge', 'MLPBridge', 'CrossAttentionBridge', 'QFormerBridge',
    'TemporalQueryProjection', 'QFormer', 'QFormerLayer'
]
