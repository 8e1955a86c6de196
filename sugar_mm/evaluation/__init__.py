from .llm_metric import LLMRecognitionMetric, mean_class_recall

__all__ = ["LLMRecognitionMetric", "mean_class_recall"]
