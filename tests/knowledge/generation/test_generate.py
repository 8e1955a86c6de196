"""The resumable knowledge draft, retries, flagging and filling (a tiny random Llama and scripted LMs)."""
import json
import os
import re

import numpy as np
import pytest

from sugar_mm.knowledge.generation import (
    BRIEF_PROMPT,
    MOTION_PLACEHOLDER,
    MOTION_PROMPT,
    KnowledgeDraft,
    copied_from_prompt,
    generate_brief,
    generate_motion,
    generate_visual,
)
from sugar_mm.knowledge.schema import BODY_PARTS, KnowledgeError
from tests.knowledge.generation.helpers import NAMES, Recorder, class_of, load_tool


def test_draft_create_open_and_mismatch(tmp_path):
    path = str(tmp_path / 'd.json')
    with pytest.raises(FileNotFoundError, match='gen_motion'):
        KnowledgeDraft.open(path)
    d = KnowledgeDraft.open(path, class_names=NAMES, dataset='msr_action3d')
    with open(path) as f:
        data = json.load(f)
    assert data['schema_version'] == 1 and data['num_classes'] == 4 and data['dataset'] == 'msr_action3d'
    assert [c['name'] for c in data['classes']] == NAMES and data['provenance']['flags'] == {}
    assert d.pending('motion') == NAMES
    assert KnowledgeDraft.open(path, class_names=NAMES).names == NAMES
    with pytest.raises(KnowledgeError, match='differ'):
        KnowledgeDraft.open(path, class_names=NAMES[:2])
    with pytest.raises(ValueError, match='unknown field'):
        d.set(NAMES[0], 'colour', 'red')


def test_resume_after_interruption(tiny_lm, tmp_path):
    path = str(tmp_path / 'draft.json')
    first = Recorder(tiny_lm, fail_on=NAMES[2])
    with pytest.raises(RuntimeError, match='interrupted'):
        generate_motion(NAMES, first, draft=path, retries=1, progress=False)
    assert first.calls == [(NAMES[0], False, 0), (NAMES[0], True, 1), (NAMES[1], False, 0), (NAMES[1], True, 1)]
    draft = KnowledgeDraft.load(path)
    assert [n for n in NAMES if draft.filled(n, 'motion')] == NAMES[:2]  # written after each class
    kept = {n: draft.get(n, 'motion') for n in NAMES[:2]}
    assert not [f for f in os.listdir(tmp_path) if f != 'draft.json']  # no temporary files left behind

    second = Recorder(tiny_lm)
    report = generate_motion(NAMES, second, draft=path, retries=1, progress=False)
    assert [c[0] for c in second.calls] == [NAMES[2], NAMES[2], NAMES[3], NAMES[3]]
    assert report.skipped == NAMES[:2] and list(report.results) == NAMES[2:] and report.calls == 4
    draft = KnowledgeDraft.load(path)
    assert all(draft.filled(n, 'motion') for n in NAMES)
    assert {n: draft.get(n, 'motion') for n in NAMES[:2]} == kept

    third = Recorder(tiny_lm)  # complete: nothing to do
    assert generate_motion(NAMES, third, draft=path, retries=1, progress=False).skipped == NAMES
    assert third.calls == []
    # redo_flagged regenerates the flagged classes only
    fourth = Recorder(tiny_lm)
    flagged = set(KnowledgeDraft.load(path).flags['motion'])
    generate_motion(NAMES, fourth, draft=path, retries=0, redo_flagged=True, progress=False)
    assert {c[0] for c in fourth.calls} == flagged


def test_tiny_llama_motion_is_flagged_and_filled(tiny_lm, tmp_path):
    """A random model writes garbage: after greedy + 2 sampled answers the missing parts get placeholders."""
    path = str(tmp_path / 'draft.json')
    rec = Recorder(tiny_lm)
    report = generate_motion(NAMES[:2], rec, draft=path, retries=2, progress=False)
    assert rec.calls == [(NAMES[0], False, 0), (NAMES[0], True, 1), (NAMES[0], True, 2),
                         (NAMES[1], False, 0), (NAMES[1], True, 1), (NAMES[1], True, 2)]
    assert len(set(report.raw[NAMES[0]])) > 1  # the sampled retries differ from the greedy answer
    draft = KnowledgeDraft.load(path)
    for name in NAMES[:2]:
        motion = draft.get(name, 'motion')
        assert list(motion) == list(BODY_PARTS)
        missing = [p for p in BODY_PARTS if motion[p] == MOTION_PLACEHOLDER.format(part=p)]
        assert missing, motion
        reason = draft.flags['motion'][name]
        assert 'missing body parts after 3 answers: ' + ', '.join(missing) in reason
        assert report.flags[name] == reason
    prov = draft.provenance
    assert prov['motion']['model'] == 'tiny random llama' and prov['motion']['prompt'] == MOTION_PROMPT
    assert prov['motion']['retries'] == 2 and re.match(r'\d{4}-\d\d-\d\d$', prov['date'])
    assert prov['model'] == 'motion: tiny random llama' and prov['prompt'].startswith('motion: Below are')
    summary = report.summary(path, draft)
    assert 'flagged in this run (2)' in summary and path in summary and NAMES[1] in summary


def test_tiny_llama_briefs_are_flagged_and_filled(tiny_lm, tmp_path):
    """Answers cut at 3 tokens hold no sentence of >= 4 words: name-only briefs fill in, the class is flagged."""
    motions = {n: {p: f'{p} moves for {n}' for p in BODY_PARTS} for n in NAMES[:2]}
    rec = Recorder(tiny_lm)
    report = generate_brief(NAMES[:2], rec, motions=motions, retries=1, max_new_tokens=3, progress=False)
    assert len(rec.calls) == 4
    for name in NAMES[:2]:
        briefs = report.results[name]
        assert len(briefs) >= 2 and 'filled with name-only briefs' in report.flags[name]
        assert f'The person performs {name}.' in briefs


def scripted_motion(prompt, sample=False, seed=0, max_new_tokens=None):
    name = class_of(prompt)
    if name == 'forward kick':  # only ever repeats the prompt's example
        return ('A action of {drink water}: head tilts back slightly; hand grasps cup; arm lifts cup to mouth; '
                'hip remains stationary; leg remains stationary; foot remains stationary.')
    if not sample:
        return f'Head: looks ahead during {name}\nHand: moves for {name}'
    if seed == 1:
        return f'Sure!\nArm: swings during {name}\nHip: turns'
    return '; '.join(f'{p} acts out {name}' for p in BODY_PARTS)


def test_retries_merge_and_example_echo(tmp_path):
    rec = Recorder(scripted_motion)
    report = generate_motion(['hand clap'], rec, retries=3, progress=False)
    # greedy (2 parts) -> seed 1 (2 parts) -> seed 2 complete: the complete answer is used, no flag
    assert rec.calls == [('hand clap', False, 0), ('hand clap', True, 1), ('hand clap', True, 2)]
    assert report.results['hand clap'] == {p: f'{p} acts out hand clap' for p in BODY_PARTS}
    assert report.flags == {}

    rec = Recorder(scripted_motion)
    report = generate_motion(['hand clap'], rec, retries=1, progress=False)
    # never complete: the best answer completed from the others, the rest placeholders
    assert report.results['hand clap'] == {
        'head': 'head looks ahead during hand clap', 'hand': 'hand moves for hand clap',
        'arm': 'arm swings during hand clap', 'hip': 'hip turns', 'leg': 'leg movement not described',
        'foot': 'foot movement not described'}
    assert 'leg, foot' in report.flags['hand clap']

    # an answer copying the prompt's example: its specific clauses do not count, generic ones do
    report = generate_motion(['forward kick'], scripted_motion, retries=0, progress=False)
    assert report.results['forward kick'] == {
        'head': 'head movement not described', 'hand': 'hand movement not described',
        'arm': 'arm movement not described', 'hip': 'hip remains stationary', 'leg': 'leg remains stationary',
        'foot': 'foot remains stationary'}
    assert 'head, hand, arm' in report.flags['forward kick']


def test_copied_from_prompt():
    assert copied_from_prompt('hand grasps cup', MOTION_PROMPT, 'hammer')
    assert copied_from_prompt('Head tilts back slightly', MOTION_PROMPT, 'hammer')
    assert not copied_from_prompt('head tilts back slightly to the left', MOTION_PROMPT, 'hammer')
    assert not copied_from_prompt('hip remains stationary', MOTION_PROMPT, 'hammer')  # generic
    assert not copied_from_prompt('hand grasps cup', MOTION_PROMPT, 'drink water')  # the example's own class
    assert not copied_from_prompt('arm lifts', MOTION_PROMPT, 'hammer')  # not a whole clause of the example
    example = 'The man is moving back and forth and waving his arms and hands to clean the dishes.'
    assert copied_from_prompt(example, BRIEF_PROMPT, 'hammer')
    assert not copied_from_prompt('The man swings a hammer down onto a nail.', BRIEF_PROMPT, 'hammer')


def scripted_brief(prompt, sample=False, seed=0, max_new_tokens=None):
    name = class_of(prompt)
    if not sample:
        return f'Here are the sentences:\n1. {name}. The person performs a clear {name} with the whole body.'
    return f'2. The person finishes the {name} movement and returns to standing ({seed}).'


def test_brief_collects_over_retries(tmp_path):
    rec = Recorder(scripted_brief)
    report = generate_brief(['hand clap'], rec, motions={'hand clap': 'hands clap'}, num_briefs=2, retries=3,
                            progress=False)
    assert [c[1:] for c in rec.calls] == [(False, 0), (True, 1)]
    assert report.results['hand clap'] == ['The person performs a clear hand clap with the whole body.',
                                           'The person finishes the hand clap movement and returns to standing (1).']
    assert report.flags == {}


def test_brief_copying_the_example_does_not_count():
    example = 'The man is moving back and forth and waving his arms and hands to clean the dishes.'
    answers = iter([example, example + '\nThe man swings the hammer down again and again onto the nail.',
                    'A person lifts a hammer high and strikes downward with force.'])
    report = generate_brief(['hammer'], lambda p, **kw: next(answers), motions={'hammer': 'arm swings down'},
                            retries=3, progress=False)
    assert report.results['hammer'] == ['The man swings the hammer down again and again onto the nail.',
                                        'A person lifts a hammer high and strikes downward with force.']
    assert report.calls == 3 and report.flags == {}


def test_brief_needs_motion(tmp_path):
    path = str(tmp_path / 'd.json')
    KnowledgeDraft.create(path, NAMES[:2], 'x')
    rec = Recorder(scripted_brief)
    report = generate_brief(NAMES[:2], rec, draft=path, progress=False)
    assert report.no_input == NAMES[:2] and rec.calls == []


def test_complete_draft_validates(tmp_path):
    """motion + brief + visual through the library, then the validate CLI accepts the draft."""
    path = str(tmp_path / 'draft.json')
    names = NAMES[:3]
    complete = lambda p, **kw: '; '.join(f'{q} acts out {class_of(p)}' for q in BODY_PARTS)  # noqa: E731
    generate_motion(names, complete, draft=path, progress=False)
    generate_brief(names, scripted_brief, draft=path, progress=False)
    frames = {n: [np.full((8, 8, 3), 40 * i + j, np.uint8) for j in range(5)] for i, n in enumerate(names)}
    encoder = lambda fr: np.stack([np.eye(5)[j % 5] for j in range(len(fr))])  # noqa: E731
    vlm = lambda image, prompt, sample=False, seed=0, max_new_tokens=None: (  # noqa: E731
        f'A person in a room, frame value {int(np.asarray(image).mean())}, seed {seed}.')
    report = generate_visual(frames, encoder, vlm, k=3, draft=path, progress=False)
    assert all(len(report.frames[n]) == 3 for n in names) and report.flags == {}
    draft = KnowledgeDraft.load(path)
    assert draft.provenance['visual']['frames'] == report.frames
    assert set(draft.provenance) >= {'model', 'prompt', 'date', 'flags', 'motion', 'brief', 'visual'}
    knowledge = draft.to_knowledge(label_names=names)
    assert knowledge.names == names and all(len(c.visual) == 3 and len(c.brief) == 2 for c in knowledge)
    assert load_tool('validate').main([path]) == 0
