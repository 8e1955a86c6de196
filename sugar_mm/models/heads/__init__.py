from .knowledge_contrast_head import KnowledgeContrastHead
from .llm_head import LLMHead

__all__ = ['KnowledgeContrastHead', 'LLMHead']
