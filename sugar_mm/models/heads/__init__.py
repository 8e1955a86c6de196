from .knowledge_contrast_head import KnowledgeContrastHead
from .conse_head import ConSEHead
from .llm_head import LLMHead

__all__ = ["KnowledgeContrastHead", "LLMHead", "ConSEHead"]
