"""The gen_motion / gen_brief / validate command lines."""
import json

from sugar_mm.knowledge.generation import (
    KnowledgeDraft,
    generate_motion,
)
from sugar_mm.knowledge.schema import BODY_PARTS
from tests.knowledge.generation.helpers import NAMES, class_of, load_tool


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
