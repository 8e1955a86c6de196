"""The paper's generation prompts and the parsers of the motion and brief answers."""
import pytest

from sugar_mm.knowledge.generation import (
    BRIEF_PROMPT,
    MOTION_PROMPT,
    VISUAL_PROMPT,
    brief_prompt,
    motion_prompt,
    parse_brief_answer,
    parse_motion_answer,
)
from sugar_mm.knowledge.schema import BODY_PARTS


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
