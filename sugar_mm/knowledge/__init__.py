from .schema import (BODY_PARTS, ActionKnowledge, ClassKnowledge, KnowledgeError, load_knowledge,
                     name_only_knowledge, parse_knowledge, shipped_knowledge_files)
from .text_bank import TextBank
from .text_encoders import CLIPTextEncoder, SentenceTextEncoder

__all__ = [
    'BODY_PARTS', 'ActionKnowledge', 'ClassKnowledge', 'KnowledgeError', 'load_knowledge', 'name_only_knowledge',
    'parse_knowledge', 'shipped_knowledge_files', 'TextBank', 'SentenceTextEncoder', 'CLIPTextEncoder'
]
