from .llm_metric import LLMRecognitionMetric

__all__ = ['LLMRecognitionMetric']
