"""Label-map and knowledge files: text that is not UTF-8 and invisible class names are errors naming the file."""
import json
import re

import pytest

from sugar_mm.datasets.label_files import LABEL_MAPS, check_class_names, read_label_map
from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.datasets.skeleton_dataset import SkeletonDataset
from sugar_mm.knowledge.schema import KnowledgeError, load_knowledge


def test_shipped_label_maps_pass_the_checks():
    for name in LABEL_MAPS:
        assert read_label_map(name)


def test_label_map_not_utf8_names_the_file_and_line(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_bytes('wave\ncaf\u00e9 dance\n'.encode('latin-1'))
    with pytest.raises(ValueError, match=rf'{path}: the label map is not UTF-8 text \(byte 0xe9 at offset 8, '
                       r'line 2\); save it as UTF-8'):
        load_label_map(str(path))


def test_label_map_bom_is_dropped(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_bytes('\ufeffwave\nclap\n'.encode('utf-8'))
    assert load_label_map(str(path)) == ['wave', 'clap']


@pytest.mark.parametrize('name,char', [('\u200b', 'U+200B'), ('wave\u200b', 'U+200B'), ('cl\u00adap', 'U+00AD'),
                                       ('kick\x07', 'U+0007')])
def test_invisible_class_names_are_refused(tmp_path, name, char):
    """A zero-width space was accepted as a class of its own (or as a second, invisibly different 'wave')."""
    path = tmp_path / 'classes.txt'
    path.write_text(f'wave\n{name}\n', encoding='utf-8')
    with pytest.raises(ValueError, match=rf'{path}: line 2: class name .* contains the invisible character {re.escape(char)}'):
        load_label_map(str(path))
    with pytest.raises(ValueError, match=rf'd\.pkl: classes: class 1: class name .* invisible character {re.escape(char)}'):
        SkeletonDataset(ann_file='d.pkl', pipeline=[], classes=['wave', name], lazy_init=True)


def test_other_name_errors():
    with pytest.raises(ValueError, match=r'src: class 1: a class name must be a string, got int 3'):
        check_class_names(['a', 3], 'src')
    with pytest.raises(ValueError, match=r"src: duplicate class names \['a'\]"):
        check_class_names(['a', 'b', 'a'], 'src')
    with pytest.raises(ValueError, match='src: class 0 is blank'):
        check_class_names(['\u3000'], 'src')


def test_knowledge_not_utf8_names_the_file(tmp_path):
    path = tmp_path / 'k.json'
    path.write_bytes(json.dumps(dict(schema_version=1, dataset='x\u00e9'), ensure_ascii=False).encode('latin-1'))
    with pytest.raises(KnowledgeError, match=rf'{path}: not UTF-8 text \(byte 0xe9 at offset \d+\); knowledge '
                       'files are UTF-8 JSON'):
        load_knowledge(str(path))
