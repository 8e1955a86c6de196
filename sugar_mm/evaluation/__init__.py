from .functional import mean_class_recall, top_k_accuracy
from .llm_metric import LLMRecognitionMetric
from .zero_shot_metric import ZeroShotMetric

__all__ = ['LLMRecognitionMetric', 'ZeroShotMetric', 'mean_class_recall', 'top_k_accuracy']
