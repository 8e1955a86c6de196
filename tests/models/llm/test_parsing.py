from sugar_mm.models.llm.parsing import normalize_name, parse_answer

NAMES = ['high arm wave', 'draw x', 'draw tick', 'hand clap', 'Cook.Cleandishes', 'Cook.Cut']


def test_exact_normalized_nearest_failed():
    p = parse_answer('draw tick. The right hand draws a check mark.', NAMES)
    assert (p.label, p.path) == (2, 'exact')
    p = parse_answer('High Arm Wave. waving', NAMES)
    assert (p.label, p.path) == (0, 'normalized')
    p = parse_answer('hand claps. Both hands meet.', NAMES)
    assert (p.label, p.path) == (3, 'nearest')
    p = parse_answer('The weather is nice today. Sunny.', NAMES)
    assert p.label == -1 and p.path == 'failed' and 'no class' in p.reason
    p = parse_answer('', NAMES)
    assert p.label == -1 and p.path == 'failed'
    p = parse_answer('...', NAMES)
    assert p.label == -1 and p.path == 'failed'


def test_names_with_periods_and_prefixes():
    # Toyota names contain periods; the longest matching name wins over a shorter prefix
    assert parse_answer('Cook.Cleandishes. Washing plates at the sink.', NAMES).label == 4
    assert parse_answer('Cook.Cut. Chopping.', NAMES).label == 5
    assert parse_answer('cook cut. chopping', NAMES).label == 5
    assert normalize_name(' Drink.Frombottle ') == 'drink frombottle'


def test_parse_never_raises_on_odd_text():
    for text in ['\n\n', '1234', 'draw', 'x' * 500, 'é.']:
        p = parse_answer(text, NAMES)
        assert p.path in ('exact', 'normalized', 'nearest', 'failed')
