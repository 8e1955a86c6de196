from .llm_metric import LLMRecognitionMetric, mean_class_recall
from .zero_shot_metric import ZeroShotMetric

__all__ = ['LLMRecognitionMetric', 'ZeroShotMetric', 'mean_class_recall']
