"""Generate action knowledge for a new dataset with local models (the paper's text construction, Sec. 3.1).

The paper built its knowledge with GPT-3.5 (motion) and GPT-4V (visual); here any local Hugging Face model does
the same job, so a user can make a knowledge file for a new label map:

1. :func:`generate_motion`: a chat LM answers the paper's one-shot prompt (:data:`MOTION_PROMPT`) once per class;
   :func:`parse_motion_answer` turns the answer into the six body-part clauses of the schema.
2. :func:`generate_brief`: the chat LM writes one-sentence descriptions from the motion knowledge
   (:data:`BRIEF_PROMPT`; the paper gives neither prompt nor count), parsed by :func:`parse_brief_answer`.
3. :func:`generate_visual`: video frames of each class are embedded with a CLIP vision encoder, the most mutually
   dissimilar ``k`` frames are kept (:func:`select_dissimilar_frames`), and a vision-language model describes each
   kept frame (:data:`VISUAL_PROMPT`, the paper's prompt and three rules).

Every step writes into a :class:`KnowledgeDraft`: a JSON file in the layout of :mod:`sugar_mm.knowledge.schema`
whose entries may lack fields until all steps ran. The draft is rewritten atomically after each class, and a rerun
skips classes whose field is already filled, so an interrupted run loses at most the class it was working on.

Small models do not always follow the format. Each class gets a greedy answer and then up to ``retries`` sampled
answers (a different seed each); what is still missing afterwards is filled with a marked placeholder
(``"<part> movement not described"``, or the name-only texts of :func:`~sugar_mm.knowledge.schema.name_only_knowledge`)
and the class is recorded in ``provenance["flags"]`` for a human to review. ``tools/knowledge/validate.py`` checks
the finished file against the schema.

Models are duck-typed callables, so any backend can be plugged in:

* a chat LM: ``lm(prompt, sample=False, seed=0, max_new_tokens=None) -> str`` (:class:`ChatLM`);
* a frame encoder: ``encoder(frames) -> array (N, D)`` (:class:`CLIPFrameEncoder`);
* a VLM: ``vlm(image, prompt, sample=False, seed=0, max_new_tokens=None) -> str`` (:class:`VisionLanguageModel`).

``transformers``, ``torch`` and ``cv2`` are imported inside the functions that need them.

The package holds one concept per module: :mod:`.prompts` (the prompts, their filling, name-only fallbacks),
:mod:`.parsing` (answer parsers), :mod:`.frames` (frame selection and frame folders), :mod:`.draft`
(:class:`KnowledgeDraft`), :mod:`.report` (:class:`GenerationReport`), :mod:`.models` (the model wrappers),
:mod:`.generate` (the three generators) and :mod:`.cli` (helpers of the ``gen_*.py`` tools).
"""
from .cli import add_generation_args, append_raw_log, read_raw_log_line
from .draft import FIELDS, KnowledgeDraft
from .frames import (IMAGE_EXTS, VIDEO_EXTS, ClassFrameFolder, FrameList, read_video_frames, select_dissimilar_frames,
                     uniform_indices)
from .generate import generate_brief, generate_motion, generate_visual
from .models import ChatLM, CLIPFrameEncoder, VisionLanguageModel
from .parsing import clean_visual_answer, parse_brief_answer, parse_motion_answer
from .prompts import (BRIEF_PROMPT, MOTION_EXAMPLE, MOTION_PLACEHOLDER, MOTION_PROMPT, VISUAL_PROMPT, brief_prompt,
                      copied_from_prompt, fill_prompt, motion_prompt, motion_text, name_only_brief, name_only_visual,
                      visual_prompt)
from .report import GenerationReport

__all__ = [
    'MOTION_PROMPT', 'MOTION_EXAMPLE', 'VISUAL_PROMPT', 'BRIEF_PROMPT', 'MOTION_PLACEHOLDER', 'fill_prompt',
    'motion_prompt', 'visual_prompt', 'motion_text', 'brief_prompt', 'name_only_visual', 'name_only_brief',
    'copied_from_prompt', 'parse_motion_answer', 'parse_brief_answer', 'clean_visual_answer',
    'select_dissimilar_frames', 'VIDEO_EXTS', 'IMAGE_EXTS', 'FrameList', 'uniform_indices', 'read_video_frames',
    'ClassFrameFolder', 'FIELDS', 'KnowledgeDraft', 'GenerationReport', 'ChatLM', 'CLIPFrameEncoder',
    'VisionLanguageModel', 'generate_motion', 'generate_brief', 'generate_visual', 'add_generation_args',
    'read_raw_log_line', 'append_raw_log'
]
