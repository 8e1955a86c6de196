"""Knowledge generation tools: answer parsers, frame selection, the resumable draft, retries and flagging with a
tiny random Llama (SmolLM2's tokenizer, HF-test style), and the gen_motion / gen_brief / validate CLIs."""
import importlib.util
import json
import os
import os.path as osp
import re

import numpy as np
import pytest

from tests.conftest import REPO, TINY_LLAMA
from sugar_mm.knowledge.generation import (BRIEF_PROMPT, MOTION_PLACEHOLDER, MOTION_PROMPT, VISUAL_PROMPT, ChatLM,
                                           KnowledgeDraft, brief_prompt, copied_from_prompt, generate_brief,
                                           generate_motion, generate_visual, motion_prompt, parse_brief_answer,
                                           parse_motion_answer, select_dissimilar_frames)
from sugar_mm.knowledge.schema import BODY_PARTS, KnowledgeError

NAMES = ['high arm wave', 'hand clap', 'forward kick', 'side boxing']


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'knowledge_{name}',
                                                  osp.join(REPO, 'tools', 'knowledge', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny_lm():
    return ChatLM.load(config=dict(TINY_LLAMA), tokenizer='embedded:smollm2-135m-instruct', device='cpu',
                       max_new_tokens=12, name='tiny random llama')


def class_of(prompt):
    """The class a motion or brief prompt asks about."""
    return re.search(r"(?:when|action) '([^']+)'", prompt).group(1)


class Recorder:
    """Wraps an LM: records (class, sample, seed) of each call; raises when asked about ``fail_on``."""

    def __init__(self, lm, fail_on=None):
        self.lm, self.fail_on, self.calls = lm, fail_on, []
        self.name = getattr(lm, 'name', 'scripted')

    def __call__(self, prompt, sample=False, seed=0, max_new_tokens=None):
        name = class_of(prompt)
        if name == self.fail_on:
            raise RuntimeError(f'interrupted at {name}')
        self.calls.append((name, sample, seed))
        return self.lm(prompt, sample=sample, seed=seed, max_new_tokens=max_new_tokens)


# ------------------------------------------------------------------------------------------------------ prompts

def test_prompts_are_the_papers():
    assert MOTION_PROMPT.startswith('Below are some examples to generate a short description.\n\nExample: A action '
                                    'of {drink water}: head tilts back slightly; hand grasps cup; arm lifts cup to '
                                    'mouth; hip remains stationary; leg remains stationary; foot remains '
                                    'stationary.\n\nDescribing following body part movements when')
    p = motion_prompt('hand clap')
    assert p.endswith("when 'hand clap': head, hand, arm, hip, leg, foot.") and '{drink water}' in p
    assert VISUAL_PROMPT.startswith("Based on the image, describe '{action}' in detail.")
    b = brief_prompt('hand clap', {q: f'{q} moves' for q in BODY_PARTS}, 3)
    assert 'head moves; hand moves; arm moves; hip moves; leg moves; foot moves' in b and '3 different' in b
    assert '{' not in b and '{action}' in BRIEF_PROMPT


# ------------------------------------------------------------------------------------------------ motion parser

FULL = {'head': 'head tilts back slightly', 'hand': 'hand grasps cup', 'arm': 'arm lifts cup to mouth',
        'hip': 'hip remains stationary', 'leg': 'leg remains stationary', 'foot': 'foot remains stationary'}

MOTION_CASES = {
    'paper format': (
        'head tilts back slightly; hand grasps cup; arm lifts cup to mouth; hip remains stationary; '
        'leg remains stationary; foot remains stationary.', FULL),
    'labelled lines': (
        'Head: tilts back slightly\nHand: grasps cup\nArm: lifts cup to mouth\nHip: remains stationary\n'
        'Leg: remains stationary\nFoot: remains stationary.', FULL),
    'markdown bullets, plurals, chatter': (
        "Sure! Here's how the body moves:\n\n- **Head**: Faces forward.\n- **Hands**: Clap together in front of "
        "the chest.\n* **Arms** - swing inward\n- Hips: remain still\n- Legs: remain straight\n"
        "- Feet: stay planted.\n\nI hope this helps!",
        {'head': 'head faces forward', 'hand': 'hands clap together in front of the chest',
         'arm': 'arms swing inward', 'hip': 'hips remain still', 'leg': 'legs remain straight',
         'foot': 'feet stay planted'}),
    'numbered, part repeated in the text': (
        '1. Head: The head nods slightly.\n2) Hand: right hand grasps the ball\n3. Arm: The right arm swings '
        'forward.\n4. Hip movement: hips rotate\n5. Leg: legs bend\n6. Foot: feet shift weight',
        {'head': 'head nods slightly', 'hand': 'right hand grasps the ball', 'arm': 'right arm swings forward',
         'hip': 'hips rotate', 'leg': 'legs bend', 'foot': 'feet shift weight'}),
    'sentences': (
        'The head faces forward. The right hand makes a fist. His arm extends forward quickly. The hips twist. '
        'Both legs stay apart. The feet remain planted.',
        {'head': 'head faces forward', 'hand': 'right hand makes a fist', 'arm': 'arm extends forward quickly',
         'hip': 'hips twist', 'leg': 'both legs stay apart', 'foot': 'feet remain planted'}),
    'example prefix and commas': (
        'A action of {waving}: head faces forward, hand opens, arm raises overhead, hip remains stationary, '
        'leg remains stationary, foot remains stationary.',
        {'head': 'head faces forward', 'hand': 'hand opens', 'arm': 'arm raises overhead',
         'hip': 'hip remains stationary', 'leg': 'leg remains stationary', 'foot': 'foot remains stationary'}),
    'one line of labels': (
        'Head: looks down Hand: holds the club Arm: swings across the body Hip: rotates Leg: knees flex '
        'Foot: pivots on the toes',
        {'head': 'head looks down', 'hand': 'hand holds the club', 'arm': 'arm swings across the body',
         'hip': 'hip rotates', 'leg': 'leg knees flex', 'foot': 'foot pivots on the toes'}),
}


@pytest.mark.parametrize('case', sorted(MOTION_CASES))
def test_parse_motion_formats(case):
    text, want = MOTION_CASES[case]
    clauses, missing = parse_motion_answer(text)
    assert missing == [] and clauses == want
    assert list(clauses) == list(BODY_PARTS)


@pytest.mark.parametrize('text, found', [
    ('Head: tilts back\nHand: grasps cup\nThe rest of the body does not move.', ['head', 'hand']),
    ('When waving, the person raises the arm.\nHead: looks at the camera', ['head']),
    ("Describing following body part movements when 'waving': head, hand, arm, hip, leg, foot.", []),
    ('This example describes a high-level action of a high-level action.', []),
    ('', []),
    ('The legs: \nFeet - \nHip: 42', []),
])
def test_parse_motion_missing_parts(text, found):
    clauses, missing = parse_motion_answer(text)
    assert list(clauses) == found
    assert missing == [p for p in BODY_PARTS if p not in found]


def test_parse_motion_skips_rambling_and_broken_fragments():
    text = ('Head: tilting during physical exertion is controlled automatically by muscles that help maintain '
            'posture without external aids like levers or pulleys etc\n'
            'legs rising on top of each other (upper extremity\nHead: nods (twice)\nArm: (swings)\n'
            'Hand: holds (a cup')
    clauses, missing = parse_motion_answer(text)
    assert clauses == {'head': 'head nods (twice)', 'arm': 'arm swings'}
    assert parse_motion_answer(text, max_words=40)[0]['head'].startswith('head tilting during')


def test_parse_motion_labelled_line_beats_sentence():
    clauses, _ = parse_motion_answer('The head turns a little while the arm moves.\nHead: nods twice\n'
                                     'Head: shakes')
    assert clauses['head'] == 'head nods twice'


# ------------------------------------------------------------------------------------------------- brief parser

@pytest.mark.parametrize('text, want', [
    ('The person raises one arm high and waves it.\nThe raised hand sweeps left and right above the head.',
     ['The person raises one arm high and waves it.', 'The raised hand sweeps left and right above the head.']),
    ('Sure! Here are two sentences:\n1. "The person raises one arm high and waves it from side to side."\n'
     '2. High arm wave. The raised hand sweeps left and right above the head\nI hope this helps!',
     ['The person raises one arm high and waves it from side to side.',
      'The raised hand sweeps left and right above the head.']),
    ('{High arm wave}. The person waves. A man lifts his right arm above his head and waves it!',
     ['A man lifts his right arm above his head and waves it.']),
    ('Sentence 1: the man lifts his arm above the head\nSentence 2: - "He waves the raised hand slowly."',
     ['The man lifts his arm above the head.', 'He waves the raised hand slowly.']),
    ('- The person waves an arm high.\n- The person waves an arm high.', ['The person waves an arm high.']),
    ('high arm wave\n\nhigh arm wave.', []),
    ('', []),
    ('A man raises his arm high above the head. She then waves it in the kitchen all day long. The hand sways '
     'left and right.', ['A man raises his arm high above the head.', 'The hand sways left and right.']),
    ('The person waves an arm high above the head while standing in the middle of a large and very quiet room '
     'with many tall windows, green plants, old wooden chairs and a long white table.', []),
])
def test_parse_brief(text, want):
    assert parse_brief_answer(text, 'high arm wave') == want


def test_parse_brief_rebalances_quotes():
    assert parse_brief_answer('The person performing "clean dishes" is performing a "hammer."', 'hammer') == [
        'The person performing "clean dishes" is performing a "hammer".']


def test_parse_brief_keeps_text_that_only_starts_like_the_class():
    assert parse_brief_answer('Hand claps are made by striking both palms together.', 'hand clap') == [
        'Hand claps are made by striking both palms together.']


# ---------------------------------------------------------------------------------------------- frame selection

def clustered(n_per=5, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.linalg.qr(rng.normal(size=(dim, 3)))[0].T  # 3 orthonormal directions
    labels = np.repeat(np.arange(3), n_per)
    emb = centers[labels] * 3.0 + rng.normal(scale=0.02, size=(len(labels), dim))
    order = rng.permutation(len(labels))
    return emb[order], labels[order]


def test_farthest_point_picks_one_frame_per_cluster():
    emb, labels = clustered()
    idx = select_dissimilar_frames(emb, 3)
    assert len(idx) == 3 and sorted(labels[idx].tolist()) == [0, 1, 2]
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    mean = x.mean(0)
    assert idx[0] == int(np.argmin(x @ (mean / np.linalg.norm(mean))))  # start: least similar to the mean
    assert select_dissimilar_frames(emb, 3) == idx  # deterministic
    assert select_dissimilar_frames(emb * 7.5, 3) == idx  # cosine: scale-free


def test_farthest_point_edge_cases():
    emb, _ = clustered()
    assert select_dissimilar_frames(emb, 15) == list(range(15))
    assert select_dissimilar_frames(emb, 40) == list(range(15))
    assert select_dissimilar_frames(emb, 0) == []
    assert select_dissimilar_frames(np.ones((4, 3)), 2) == [0, 1]  # identical frames: lowest indices
    six = select_dissimilar_frames(emb, 6)
    assert len(set(six)) == 6
    with pytest.raises(ValueError):
        select_dissimilar_frames(np.ones(4), 2)


# -------------------------------------------------------------------------------------------------------- draft

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


# ---------------------------------------------------------------------------------------------------------- CLIs

def test_validate_cli_exit_codes(tmp_path, capsys):
    validate = load_tool('validate')
    assert validate.main(['msr_action3d', '--label-map', 'msr_action3d']) == 0
    assert 'OK' in capsys.readouterr().out
    assert validate.main(['msr_action3d', '--label-map', 'ntu60']) == 1
    assert 'INVALID' in capsys.readouterr().out
    bad = tmp_path / 'bad.json'
    bad.write_text('{"schema_version": 1,')
    assert validate.main([str(bad)]) == 1
    assert 'not valid JSON' in capsys.readouterr().out
    assert validate.main([str(tmp_path / 'nope.json')]) == 1
    draft = str(tmp_path / 'draft.json')
    generate_motion(NAMES[:2], lambda p, **kw: '; '.join(f'{q} acts out {class_of(p)}' for q in BODY_PARTS),
                    draft=draft, progress=False)
    assert validate.main([draft]) == 1
    assert 'missing "visual"' in capsys.readouterr().out


@pytest.fixture(scope='module')
def tiny_model_dir(tiny_lm, tmp_path_factory):
    d = str(tmp_path_factory.mktemp('tiny_llama'))
    tiny_lm.model.save_pretrained(d)
    tiny_lm.tokenizer.save_pretrained(d)
    return d


def test_gen_motion_and_brief_clis(tiny_model_dir, tmp_path, capsys):
    labels = tmp_path / 'labels.txt'
    labels.write_text('\n'.join(NAMES[:3]) + '\n')
    out = str(tmp_path / 'k' / 'draft.json')
    log = str(tmp_path / 'raw.jsonl')
    gen_motion, gen_brief = load_tool('gen_motion'), load_tool('gen_brief')
    common = ['--retries', '1', '--max-new-tokens', '6', '--device', 'cpu', '--no-progress']
    assert gen_motion.main(['--classes', str(labels), '--out', out, '--model', tiny_model_dir, '--limit', '2',
                            '--raw-log', log] + common) == 0
    text = capsys.readouterr().out
    assert 'motion: generated 2 classes' in text and 'flagged in this run (2)' in text and out in text
    draft = KnowledgeDraft.load(out)
    assert draft.data['dataset'] == 'labels' and draft.names == NAMES[:3]
    assert draft.pending('motion') == [NAMES[2]] and draft.provenance['motion']['model'] == tiny_model_dir
    with open(log) as f:
        lines = [json.loads(line) for line in f]
    assert [(x['field'], x['name'], len(x['raw'])) for x in lines] == [('motion', n, 2) for n in NAMES[:2]]

    # rerun: nothing left within --limit, so the model is not even loaded
    assert gen_motion.main(['--classes', str(labels), '--out', out, '--model', '/nonexistent', '--limit', '2']
                           + common) == 0
    assert 'skipped 2 already filled' in capsys.readouterr().out

    assert gen_brief.main(['--draft', out, '--model', tiny_model_dir] + common) == 0
    text = capsys.readouterr().out
    assert 'brief: generated 2 classes' in text and NAMES[2] in text and 'gen_motion.py' in text
    draft = KnowledgeDraft.load(out)
    assert all(len(draft.get(n, 'brief')) == 2 for n in NAMES[:2]) and not draft.filled(NAMES[2], 'brief')
    assert set(draft.flags['brief']) == set(NAMES[:2])
    assert load_tool('validate').main([out]) == 1
