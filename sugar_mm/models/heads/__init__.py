from .knowledge_contrast_head import KnowledgeContrastHead

__all__ = ['KnowledgeContrastHead']
