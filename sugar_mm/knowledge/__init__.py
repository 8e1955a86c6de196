from .generation import (BRIEF_PROMPT, MOTION_PROMPT, VISUAL_PROMPT, ChatLM, ClassFrameFolder, CLIPFrameEncoder,
                         GenerationReport, KnowledgeDraft, VisionLanguageModel, generate_brief, generate_motion,
                         generate_visual, parse_brief_answer, parse_motion_answer, select_dissimilar_frames)
from .schema import (BODY_PARTS, ActionKnowledge, ClassKnowledge, KnowledgeError, load_knowledge,
                     name_only_knowledge, parse_knowledge, shipped_knowledge_files)
from .text_bank import TextBank
from .text_encoders import CLIPTextEncoder, SentenceTextEncoder

__all__ = [
    'BODY_PARTS', 'ActionKnowledge', 'ClassKnowledge', 'KnowledgeError', 'load_knowledge', 'name_only_knowledge',
    'parse_knowledge', 'shipped_knowledge_files', 'TextBank', 'SentenceTextEncoder', 'CLIPTextEncoder',
    'MOTION_PROMPT', 'VISUAL_PROMPT', 'BRIEF_PROMPT', 'KnowledgeDraft', 'GenerationReport', 'ChatLM',
    'CLIPFrameEncoder', 'VisionLanguageModel', 'ClassFrameFolder', 'generate_motion', 'generate_brief',
    'generate_visual', 'parse_motion_answer', 'parse_brief_answer', 'select_dissimilar_frames'
]
