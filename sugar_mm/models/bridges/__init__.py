from .base import BaseBridge
from .builder import MLP_GELU_PATTERN, bridge_types, build_bridge
from .projection import LinearBridge, MLPBridge
from .qformer import QFormer, QFormerLayer
from .query import CrossAttentionBridge, QFormerBridge, QueryBridge
from .tqp import TemporalQueryProjection

__all__ = [
    'BaseBridge', 'build_bridge', 'bridge_types', 'MLP_GELU_PATTERN', 'LinearBridge', 'MLPBridge',
    'QueryBridge', 'CrossAttentionBridge', 'QFormerBridge', 'TemporalQueryProjection', 'QFormer', 'QFormerLayer'
]
