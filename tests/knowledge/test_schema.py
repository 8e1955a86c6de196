"""The knowledge schema: every shipped file against its label map, and the validator's errors."""
import copy
import json
import re

import pytest

from sugar_mm.datasets.label_maps import LABEL_MAPS, load_label_map
from sugar_mm.knowledge.schema import (BODY_PARTS, ActionKnowledge, KnowledgeError, load_knowledge,
                                       name_only_knowledge, parse_knowledge, shipped_knowledge_files)

SHIPPED = ['msr_action3d', 'ntu120', 'ntu60', 'pku_mmd', 'toyota']


def test_shipped_files_are_the_five_datasets():
    files = shipped_knowledge_files()
    assert sorted(files) == SHIPPED
    assert set(files) <= set(LABEL_MAPS)


@pytest.fixture(scope='module')
def shipped():
    return {name: load_knowledge(path, label_names=name) for name, path in shipped_knowledge_files().items()}


@pytest.mark.parametrize('name', SHIPPED)
def test_shipped_file_validates_against_label_map(shipped, name):
    k = shipped[name]
    labels = load_label_map(name)
    assert k.names == labels and len(k) == len(labels)
    assert k.dataset == name
    assert [c.index for c in k] == list(range(len(labels)))
    for key in ('model', 'prompt', 'date'):
        assert k.provenance[key].strip()
    for c in k:
        assert list(c.motion) == list(BODY_PARTS)
        assert c.motion_text == '; '.join(c.motion[p] for p in BODY_PARTS)
        assert len(c.visual) >= 3 and len(c.brief) >= 2
    # no two classes share identical motion text (the schema's distinguishability rule)
    motions = [c.motion_text.lower() for c in k]
    assert len(set(motions)) == len(motions)


@pytest.mark.parametrize('name', SHIPPED)
def test_briefs_are_one_sentence(shipped, name):
    for c in shipped[name]:
        for b in c.brief:
            assert b[0].isupper() and b.endswith('.'), (c.name, b)
            assert not re.search(r'[.!?]\s', b[:-1]), (c.name, b)  # no second sentence
            assert 4 <= len(b.split()) <= 30, (c.name, b)


def test_ntu120_extends_ntu60(shipped):
    ntu60, ntu120 = shipped['ntu60'], shipped['ntu120']
    assert len(ntu60) == 60 and len(ntu120) == 120
    assert ntu120.names[:60] == ntu60.names
    assert load_label_map('ntu120')[:60] == load_label_map('ntu60')


# ----------------------------------------------------------------------------------- validator errors
def minimal(n=3):
    classes = []
    for i in range(n):
        classes.append(dict(
            index=i, name=f'action {i}',
            motion={p: f'{"feet" if p == "foot" else p} moves in pattern {i}' for p in BODY_PARTS},
            visual=[f'view {i} a', f'view {i} b', f'view {i} c'], brief=[f'Brief {i} one.', f'Brief {i} two.']))
    return dict(schema_version=1, dataset='toy', num_classes=n,
                provenance=dict(model='hand', prompt='none', date='2026-01-01'), classes=classes)


def test_minimal_is_valid():
    k = parse_knowledge(minimal(), source='toy.json', label_names=['action 0', 'action 1', 'action 2'])
    assert isinstance(k, ActionKnowledge) and k.names == ['action 0', 'action 1', 'action 2']
    assert k[1].motion['foot'] == 'feet moves in pattern 1'
    assert k.by_name('action 2').index == 2
    sub = k.subset(['action 2', 'action 0'])
    assert sub.names == ['action 2', 'action 0'] and [c.index for c in sub] == [0, 1]
    with pytest.raises(KeyError, match="class 'nope' is not in knowledge file 'toy.json'"):
        k.by_name('nope')


def _mutate(fn):
    d = minimal()
    fn(d)
    return d


CASES = {
    'missing class (label map)': (lambda d: (d['classes'].pop(), d.update(num_classes=2)),
                                  r"toy\.json: 2 classes, but the label map has 3"),
    'wrong name vs label map': (lambda d: d['classes'][1].update(name='action X'),
                                r"toy\.json: class 1 is named 'action X', the label map says 'action 1'"),
    'missing body part': (lambda d: d['classes'][1]['motion'].pop('hip'),
                          r"class 1 'action 1': \"motion\" must have exactly the body parts .*missing \['hip'\]"),
    'extra body part': (lambda d: d['classes'][0]['motion'].update(torso='torso leans'),
                        r"class 0 'action 0'.*unexpected \['torso'\]"),
    'renamed body part': (lambda d: d['classes'][2]['motion'].update(feet=d['classes'][2]['motion'].pop('foot')),
                          r"missing \['foot'\], unexpected \['feet'\]"),
    'clause not naming its part': (lambda d: d['classes'][0]['motion'].update(arm='stays still'),
                                   r"class 0 'action 0'\.motion\.arm: the clause must name its body part"),
    'empty motion text': (lambda d: d['classes'][1]['motion'].update(leg='   '),
                          r"class 1 'action 1'\.motion\.leg: empty text"),
    'empty visual text': (lambda d: d['classes'][1]['visual'].__setitem__(2, ''),
                          r"class 1 'action 1'\.visual\[2\]: empty text"),
    'empty name': (lambda d: d['classes'][0].update(name=''), r'classes\[0\]\.name: empty text'),
    'too few visual': (lambda d: d['classes'][0]['visual'].pop(), r'\.visual: expected >= 3 entries, got 2'),
    'too few brief': (lambda d: d['classes'][0]['brief'].pop(), r'\.brief: expected >= 2 entries, got 1'),
    'duplicate visual': (lambda d: d['classes'][0]['visual'].__setitem__(1, 'VIEW 0 A'),
                         r'\.visual: contains duplicate entries'),
    'duplicate names': (lambda d: d['classes'][2].update(name='action 0'),
                        r"class 2 'action 0': duplicate class name \(also class 0\)"),
    'identical motion': (lambda d: d['classes'][2].update(motion=dict(d['classes'][0]['motion'])),
                         r"class 2 'action 2': motion text is identical to class 0 'action 0'"),
    'num_classes mismatch': (lambda d: d.update(num_classes=4), r'"num_classes" is 4 but 3 classes are listed'),
    'index out of order': (lambda d: d['classes'][1].update(index=2), r'classes\[1\]: "index" must be 1'),
    'missing key': (lambda d: d['classes'][1].pop('brief'), r"class 1 'action 1': missing \"brief\""),
    'unknown key': (lambda d: d['classes'][1].update(notes='x'), r"classes\[1\]: unexpected keys \['notes'\]"),
    'schema version': (lambda d: d.update(schema_version=2), r'"schema_version" must be 1, got 2'),
    'provenance': (lambda d: d['provenance'].pop('date'), r'provenance\.date: empty text'),
    'no classes': (lambda d: d.update(classes=[]), r'"classes" must be a non-empty list'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_validator_errors(case):
    fn, pattern = CASES[case]
    data = _mutate(fn)
    with pytest.raises(KnowledgeError, match=r'^toy\.json: ' + '.*' + pattern if not pattern.startswith('toy')
                       else '^' + pattern):
        parse_knowledge(data, source='toy.json', label_names=['action 0', 'action 1', 'action 2'])


def test_label_names_optional():
    d = minimal()
    d['classes'][1]['name'] = 'renamed'
    assert parse_knowledge(d).names == ['action 0', 'renamed', 'action 2']


def test_load_knowledge_files(tmp_path):
    good = tmp_path / 'good.json'
    good.write_text(json.dumps(minimal()))
    labels = tmp_path / 'labels.txt'
    labels.write_text('action 0\naction 1\naction 2\n')
    assert load_knowledge(str(good), label_names=str(labels)).names == ['action 0', 'action 1', 'action 2']
    with pytest.raises(KnowledgeError, match=f'^{good}: class 1 is named'):
        load_knowledge(str(good), label_names=['action 0', 'other', 'action 2'])
    # the shipped file against the wrong label map: count mismatch names the file
    with pytest.raises(KnowledgeError, match=r'ntu60\.json: 60 classes, but the label map has 120'):
        load_knowledge('ntu60', label_names='ntu120')

    bad = tmp_path / 'broken.json'
    text = json.dumps(minimal(), indent=1)
    bad.write_text(text[:len(text) // 2])
    with pytest.raises(KnowledgeError, match=rf'^{bad}: not valid JSON \(.*line \d+'):
        load_knowledge(str(bad))
    with pytest.raises(FileNotFoundError, match=r"knowledge 'ntu999' is neither a file nor a shipped dataset"):
        load_knowledge('ntu999')


def test_dump_roundtrip(tmp_path, shipped):
    k = shipped['msr_action3d']
    out = tmp_path / 'copy.json'
    k.dump(str(out))
    again = load_knowledge(str(out), label_names='msr_action3d')
    assert [c.to_dict() for c in again] == [c.to_dict() for c in k]
    assert again.provenance == k.provenance


def test_name_only_knowledge():
    k = name_only_knowledge(['  wave   hands ', 'sit down'], dataset='zsl')
    assert k.dataset == 'zsl' and k.names == ['wave hands', 'sit down']
    assert [c.index for c in k] == [0, 1]
    c = k[0]
    assert c.motion['head'] == 'head moves as in wave hands' and c.motion['foot'] == 'feet move as in wave hands'
    assert c.visual == ['a person doing wave hands', 'a photo of wave hands', 'wave hands']
    assert c.brief == ['The person performs wave hands.', 'A person is doing wave hands.']
    # it passes its own schema (round trip through the validator)
    again = parse_knowledge(copy.deepcopy(k.to_dict()), source='name_only', label_names=['wave hands', 'sit down'])
    assert [x.motion_text for x in again] == [x.motion_text for x in k]
    assert k[0].motion_text != k[1].motion_text
