"""The generators: :func:`generate_motion`, :func:`generate_brief` and :func:`generate_visual` ask a model once
per class (greedy, then sampled retries), parse the answers, flag what needed placeholders and fill a draft."""
from __future__ import annotations

import os.path as osp
import time
from collections.abc import Mapping
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..schema import BODY_PARTS, MIN_BRIEF, MIN_VISUAL
from .draft import KnowledgeDraft
from .frames import select_dissimilar_frames
from .parsing import clean_visual_answer, parse_brief_answer, parse_motion_answer
from .prompts import (BRIEF_PROMPT, MOTION_PLACEHOLDER, MOTION_PROMPT, VISUAL_PROMPT, brief_prompt,
                      copied_from_prompt, motion_prompt, motion_text, name_only_brief, name_only_visual,
                      visual_prompt)
from .report import GenerationReport


def _progress(iterable, desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, disable=not enabled, dynamic_ncols=True)


def _lm_name(model) -> str:
    return str(getattr(model, 'name', type(model).__name__))


def _resolve_draft(draft, class_names=None) -> Optional[KnowledgeDraft]:
    """A draft object; a path is loaded when it exists, else created from ``class_names``."""
    if draft is None or isinstance(draft, KnowledgeDraft):
        return draft
    draft = str(draft)
    return KnowledgeDraft.open(draft, class_names=None if osp.exists(draft) else class_names)


def _todo(names: Sequence[str], draft: Optional[KnowledgeDraft], key: str, redo_flagged: bool,
          report: GenerationReport) -> List[str]:
    if draft is None:
        return list(names)
    todo = draft.pending(key, names, redo_flagged=redo_flagged)
    report.skipped = [n for n in names if n not in todo]
    return todo


def generate_motion(class_names: Sequence[str], lm: Callable, draft=None, retries: int = 3,
                    max_new_tokens: Optional[int] = None, prompt: str = MOTION_PROMPT, seed: int = 0,
                    redo_flagged: bool = False, progress: bool = True) -> GenerationReport:
    """Motion knowledge (six body-part clauses) for each class.

    Each class is asked once greedily, then up to ``retries`` times with sampling (seeds ``seed+1, ...``) while
    the answers miss body parts. The first complete answer is used; otherwise the answer with the most parts,
    completed from the other answers, and parts no answer described become ``"<part> movement not described"``
    (the class is flagged). Clauses copied from the prompt's example (:func:`copied_from_prompt`) do not count.

    Args:
        class_names (Sequence[str]): Classes to describe (all must be in the draft, when one is given).
        lm (callable): ``lm(prompt, sample=..., seed=..., max_new_tokens=...) -> str``, e.g. :class:`ChatLM`.
        draft (KnowledgeDraft | str, optional): Draft to fill (created from ``class_names`` if the path does
            not exist); written after each class; classes whose motion is filled are skipped.
        retries (int): Sampled retries after the greedy answer.
        max_new_tokens (int, optional): Answer length limit (default: the LM's).
        prompt (str): Template with ``{action}`` (default: the paper's).
        seed (int): Base seed of the sampled retries.
        redo_flagged (bool): Regenerate classes flagged by an earlier run.
        progress (bool): Show a tqdm bar.

    Returns:
        GenerationReport
    """
    names = list(class_names)
    draft = _resolve_draft(draft, names)
    report = GenerationReport('motion')
    todo = _todo(names, draft, 'motion', redo_flagged, report)
    if draft is not None and todo:
        draft.record_run('motion', dict(model=_lm_name(lm), prompt=prompt, retries=retries,
                                        max_new_tokens=max_new_tokens, seed=seed, sampling=_sampling(lm)))
    for name in _progress(todo, 'motion', progress):
        start = time.time()
        attempts: List[Dict[str, str]] = []
        raw: List[str] = []
        for attempt in range(retries + 1):
            answer = lm(motion_prompt(name, prompt), sample=attempt > 0, seed=seed + attempt,
                        max_new_tokens=max_new_tokens)
            report.calls += 1
            raw.append(answer)
            clauses, _ = parse_motion_answer(answer)
            clauses = {p: c for p, c in clauses.items() if not copied_from_prompt(c, prompt, name)}
            missing = [p for p in BODY_PARTS if p not in clauses]
            attempts.append(clauses)
            if not missing:
                break
        motion, flag = _merge_motion(attempts)
        if draft is not None:
            other = {motion_text(draft.get(n, 'motion')).lower(): n
                     for n in draft.names if n != name and draft.filled(n, 'motion')}
            twin = other.get(motion_text(motion).lower())
            if twin is not None:
                flag = '; '.join(filter(None, [flag, f'motion text identical to class {twin!r}']))
            draft.set(name, 'motion', motion, flag=flag)
        report.results[name] = motion
        report.raw[name] = raw
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report


def _sampling(model) -> dict:
    return {k: getattr(model, k) for k in ('temperature', 'top_p', 'repetition_penalty') if hasattr(model, k)}


def _merge_motion(attempts: List[Dict[str, str]]) -> Tuple[Dict[str, str], Optional[str]]:
    complete = [a for a in attempts if len(a) == len(BODY_PARTS)]
    if complete:
        return {p: complete[0][p] for p in BODY_PARTS}, None
    best = max(range(len(attempts)), key=lambda i: (len(attempts[i]), -i)) if attempts else None
    merged = dict(attempts[best]) if best is not None else {}
    for a in attempts:
        for p, c in a.items():
            merged.setdefault(p, c)
    missing = [p for p in BODY_PARTS if p not in merged]
    for p in missing:
        merged[p] = MOTION_PLACEHOLDER.format(part=p)
    flag = None
    if missing:
        flag = (f'missing body parts after {len(attempts)} answers: {", ".join(missing)} '
                f'(filled with "<part> movement not described")')
    return {p: merged[p] for p in BODY_PARTS}, flag


def generate_brief(class_names: Sequence[str], lm: Callable, draft=None, motions: Optional[Mapping] = None,
                   num_briefs: int = MIN_BRIEF, retries: int = 3, max_new_tokens: Optional[int] = None,
                   prompt: str = BRIEF_PROMPT, seed: int = 0, redo_flagged: bool = False,
                   progress: bool = True) -> GenerationReport:
    """Brief descriptions (one sentence each, to follow ``"{class}. "``) from each class's motion knowledge.

    Briefs are collected over a greedy answer and up to ``retries`` sampled answers until ``num_briefs`` distinct
    ones exist (a copy of the prompt's example sentence does not count). If fewer remain, the name-only briefs
    (``"The person performs {class}."``) fill the gap and the class is flagged.

    Args:
        class_names (Sequence[str]): Classes to describe.
        lm (callable): ``lm(prompt, sample=..., seed=..., max_new_tokens=...) -> str``.
        draft (KnowledgeDraft | str, optional): Draft to fill; must exist when given as a path; its motion
            knowledge is used unless ``motions`` is given.
        motions (Mapping, optional): ``{class: motion dict or text}``.
        num_briefs (int): Briefs per class (>= 2 for the schema).

    Other arguments as in :func:`generate_motion`. Classes without motion knowledge are listed in
    ``report.no_input`` and left alone.
    """
    names = list(class_names)
    draft = _resolve_draft(draft, None)
    report = GenerationReport('brief')
    todo = _todo(names, draft, 'brief', redo_flagged, report)
    recorded = False
    for name in _progress(todo, 'brief', progress):
        motion = motions.get(name) if motions is not None else (draft.get(name, 'motion') if draft else None)
        if not motion:
            report.no_input.append(name)
            continue
        if draft is not None and not recorded:
            draft.record_run('brief', dict(model=_lm_name(lm), prompt=prompt, num_briefs=num_briefs,
                                           retries=retries, max_new_tokens=max_new_tokens, seed=seed,
                                           sampling=_sampling(lm)))
            recorded = True
        start = time.time()
        briefs: List[str] = []
        raw: List[str] = []
        for attempt in range(retries + 1):
            answer = lm(brief_prompt(name, motion, num_briefs, prompt), sample=attempt > 0, seed=seed + attempt,
                        max_new_tokens=max_new_tokens)
            report.calls += 1
            raw.append(answer)
            for b in parse_brief_answer(answer, name):
                if b.lower() not in {x.lower() for x in briefs} and not copied_from_prompt(b, prompt, name):
                    briefs.append(b)
            if len(briefs) >= num_briefs:
                break
        briefs = briefs[:num_briefs]
        flag = None
        if len(briefs) < num_briefs:
            flag = (f'{len(briefs)} of {num_briefs} briefs after {len(raw)} answers '
                    f'(filled with name-only briefs)' if briefs else
                    f'empty briefs after {len(raw)} answers (filled with name-only briefs)')
            for b in name_only_brief(name):
                if len(briefs) < max(num_briefs, MIN_BRIEF) and b.lower() not in {x.lower() for x in briefs}:
                    briefs.append(b)
        if draft is not None:
            draft.set(name, 'brief', briefs, flag=flag)
        report.results[name] = briefs
        report.raw[name] = raw
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report


def generate_visual(class_frames: Mapping, clip_encoder: Callable, vlm: Callable, k: int = 3, draft=None,
                    class_names: Optional[Sequence[str]] = None, retries: int = 3,
                    max_new_tokens: Optional[int] = None, prompt: str = VISUAL_PROMPT, seed: int = 0,
                    redo_flagged: bool = False, progress: bool = True) -> GenerationReport:
    """Visual knowledge: ``k`` mutually dissimilar frames per class, one VLM description each.

    Args:
        class_frames (Mapping): ``{class: frames}``; frames are PIL images or ``(H, W, 3)`` uint8 RGB arrays.
            Looked up one class at a time (a lazy mapping such as :class:`ClassFrameFolder` keeps one class in
            memory); a frame list with an ``ids`` attribute names the frames in the provenance.
        clip_encoder (callable): ``frames -> (N, D)`` embeddings (:class:`CLIPFrameEncoder`).
        vlm (callable): ``vlm(image, prompt, sample=..., seed=..., max_new_tokens=...) -> str``
            (:class:`VisionLanguageModel`).
        k (int): Frames kept (and descriptions written) per class.
        draft (KnowledgeDraft | str, optional): Draft to fill (an existing path, or created from
            ``class_names``); the kept frames' ids are recorded in ``provenance["visual"]["frames"]``.
        class_names (Sequence[str], optional): Classes to describe (default: the draft's, else the mapping's).
        retries (int): Sampled retries of a frame whose description is empty or repeats an earlier one.

    Descriptions are written in the frames' temporal order. A class with fewer than ``max(k, 3)`` distinct
    descriptions is completed with name-only texts and flagged; classes missing from ``class_frames`` (or with
    no frames) are listed in ``report.no_input``.
    """
    if class_names is None:
        class_names = draft.names if isinstance(draft, KnowledgeDraft) else list(class_frames)
    names = list(class_names)
    draft = _resolve_draft(draft, names)
    report = GenerationReport('visual')
    todo = _todo(names, draft, 'visual', redo_flagged, report)
    recorded = False
    for name in _progress(todo, 'visual', progress):
        frames = class_frames.get(name) if isinstance(class_frames, Mapping) else None
        if not frames:
            report.no_input.append(name)
            continue
        if draft is not None and not recorded:
            prev = draft.provenance.get('visual', {})
            draft.record_run('visual', dict(
                model=_lm_name(vlm), clip=_lm_name(clip_encoder), prompt=prompt, k=k, retries=retries,
                max_new_tokens=max_new_tokens, seed=seed, sampling=_sampling(vlm),
                selection='greedy farthest-point on CLIP image-embedding cosine similarity',
                frames=dict(prev.get('frames', {})) if isinstance(prev, dict) else {}), save=False)
            recorded = True
        start = time.time()
        ids = list(getattr(frames, 'ids', None) or [str(i) for i in range(len(frames))])
        emb = np.asarray(clip_encoder(frames))
        keep = sorted(select_dissimilar_frames(emb, k))
        texts: List[str] = []
        raw: List[str] = []
        empty = 0
        text_prompt = visual_prompt(name, prompt)
        for j, idx in enumerate(keep):
            text = ''
            for attempt in range(retries + 1):
                answer = vlm(frames[idx], text_prompt, sample=attempt > 0, seed=seed + 1000 * j + attempt,
                             max_new_tokens=max_new_tokens)
                report.calls += 1
                raw.append(answer)
                text = clean_visual_answer(answer)
                if text and text.lower() not in {t.lower() for t in texts}:
                    break
                text = ''
            if text:
                texts.append(text)
            else:
                empty += 1
        want = max(k, MIN_VISUAL)
        reasons = []
        if empty:
            reasons.append(f'{empty} of {len(keep)} frames gave empty or repeated descriptions')
        if len(keep) < k:
            reasons.append(f'only {len(keep)} frames available (k={k})')
        if len(texts) < want:
            for t in name_only_visual(name):
                if len(texts) < want and t.lower() not in {x.lower() for x in texts}:
                    texts.append(t)
            reasons.append(f'completed to {len(texts)} descriptions with name-only texts')
        flag = '; '.join(reasons) or None
        kept_ids = [ids[i] for i in keep]
        if draft is not None:
            draft.provenance['visual']['frames'][name] = kept_ids
            draft.set(name, 'visual', texts, flag=flag)
        report.results[name] = texts
        report.raw[name] = raw
        report.frames[name] = kept_ids
        if flag:
            report.flags[name] = flag
        report.seconds[name] = time.time() - start
    return report
