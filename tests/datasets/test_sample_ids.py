"""Sample ids (``frame_dir``) are unique strings within a split, and every split reports its exclusions."""
import re

import numpy as np
import pytest

from sugar_mm.datasets.skeleton_dataset import SkeletonDataError
from tests.datasets.test_skeleton_dataset import build, sample, warnings_log, write_pkl  # noqa: F401


def test_duplicate_ids_are_excluded_or_raised(tmp_path, warnings_log):  # noqa: F811
    """The issue's case: 32 unique test ids were scored on 34 samples."""
    annos = [sample(f's{i}', i % 4, seed=i) for i in range(4)] + [sample('s1', 1, seed=9), sample('s3', 3)]
    path = write_pkl(tmp_path / 'd.pkl', annos, split=dict(test=[f's{i}' for i in range(4)]))
    ds = build(path, split='test')
    assert [ds.get_data_info(i)['frame_dir'] for i in range(len(ds))] == ['s0', 's1', 's2', 's3']
    np.testing.assert_array_equal(ds.get_data_info(1)['keypoint'], annos[1]['keypoint'])  # the first one is kept
    assert [e['sample'] for e in ds.excluded] == ['s1', 's3']
    assert all("duplicate frame_dir in split 'test'" in e['reason'] for e in ds.excluded)
    msgs = [r.getMessage() for r in warnings_log]
    assert any("sample 's1': duplicate frame_dir in split 'test' (its first sample, label 1, is kept)" in m
               for m in msgs)
    assert any("in split 'test': 2 sample(s) excluded, 4 kept (excluded: 's1', 's3'" in m for m in msgs)
    with pytest.raises(SkeletonDataError, match=r"d\.pkl: sample 's1': duplicate frame_dir in split 'test'"):
        build(path, split='test', on_bad_sample='error')


def test_duplicate_id_with_another_label_is_always_an_error(tmp_path):
    path = write_pkl(tmp_path / 'd.pkl', [sample('a', 0), sample('b', 1), sample('a', 2)])
    for policy in ('skip', 'error'):
        with pytest.raises(SkeletonDataError, match=re.escape(f"{path}: frame_dir 'a' appears more than once with "
                                                              'different labels (0 and 2)')):
            build(path, on_bad_sample=policy)


def test_non_string_ids_are_named_by_position(tmp_path):
    path = write_pkl(tmp_path / 'd.pkl', [sample('a', 0), sample(['x', 'y'], 1)])
    ds = build(path)
    assert ds.excluded == [dict(sample='#1', reason="frame_dir must be a non-empty string (the sample id), got "
                                "list ['x', 'y']")]
    # with a split, such a sample cannot be matched to it: reported, not silently dropped
    path = write_pkl(tmp_path / 's.pkl', [sample('a', 0), sample(['x'], 1)], split=dict(train=['a']))
    ds = build(path, split='train')
    assert ds.excluded[0]['sample'] == '#1' and "cannot be matched to split 'train'" in ds.excluded[0]['reason']
    bad_split = write_pkl(tmp_path / 'b.pkl', [sample('a', 0)], split=dict(train=['a', ['b']]))
    with pytest.raises(SkeletonDataError, match=r"split 'train' must be a list of frame_dir strings, got list"):
        build(bad_split, split='train')


def test_excluded_summary_appears_for_every_dataset(tmp_path):
    """mmengine's handlers drop a repeated warning: the val and the test dataset of one split each show it."""
    import logging

    from mmengine.logging import MMLogger
    from mmengine.logging.logger import FilterDuplicateWarning
    shown = []
    handler = logging.Handler(level=logging.WARNING)  # filtered as mmengine's stream and file handlers are
    handler.addFilter(FilterDuplicateWarning('mmengine'))
    handler.emit = shown.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        path = write_pkl(tmp_path / 'd.pkl', [sample('good', 0), sample('bad', 9)], split=dict(val=['good', 'bad']))
        for _ in range(2):
            build(path, split='val')
    finally:
        logger.removeHandler(handler)
    summary = f"{path} in split 'val': 1 sample(s) excluded, 1 kept"
    assert len([r for r in shown if summary in r.getMessage()]) == 2
