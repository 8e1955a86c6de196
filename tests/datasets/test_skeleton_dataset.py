"""``SkeletonDataset``: validated PoseDataset pickles written here, and the MSR base config on the real data."""
import logging
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from sugar_mm.datasets.class_subsets import zsl_class_names
from sugar_mm.datasets.label_maps import load_label_map
from sugar_mm.datasets.skeleton_dataset import SkeletonDataError, SkeletonDataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ['wave', 'clap', 'kick', 'jump']


def sample(name, label=0, t=5, v=20, c=3, m=1, seed=0, **overrides):
    rng = np.random.default_rng(seed)
    anno = dict(frame_dir=name, label=label, keypoint=rng.uniform(-1, 1, (m, t, v, c)).astype(np.float32),
                total_frames=t)
    anno.update(overrides)
    return anno


def write_pkl(path, annotations, split=None, raw=None):
    data = raw if raw is not None else dict(annotations=annotations)
    if split is not None:
        data['split'] = split
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return str(path)


def build(ann_file, **kwargs):
    kwargs.setdefault('classes', CLASSES)
    kwargs.setdefault('num_joints', 20)
    kwargs.setdefault('num_coords', 3)
    kwargs.setdefault('serialize_data', False)  # serialising runs gc.collect(): 0.5 s per dataset in a big process
    return SkeletonDataset(ann_file=ann_file, pipeline=[], **kwargs)


@pytest.fixture
def warnings_log():
    """Warning records of mmengine's current logger (where ``print_log(logger='current')`` goes)."""
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_good_samples_load_with_class_names(tmp_path):
    annos = [sample(f's{i}', i % 4, t=3 + i, seed=i) for i in range(6)]
    ds = build(write_pkl(tmp_path / 'ok.pkl', annos, split=dict(train=['s0', 's2', 's5'], val=['s1'])),
               split='train')
    assert len(ds) == 3 and ds.excluded == []
    assert ds.metainfo['classes'] == tuple(CLASSES)
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [d['frame_dir'] for d in infos] == ['s0', 's2', 's5']
    assert [d['label'] for d in infos] == [0, 2, 1]
    np.testing.assert_array_equal(infos[2]['keypoint'], annos[5]['keypoint'])
    assert 'original_label' not in infos[0]
    # no split: everything; classes from a shipped label map name
    ds = build(write_pkl(tmp_path / 'all.pkl', annos), classes='msr_action3d')
    assert len(ds) == 6 and ds.metainfo['classes'] == tuple(load_label_map('msr_action3d'))


BAD = {
    'nan': (dict(keypoint=np.full((1, 5, 20, 3), np.nan, np.float32)), r'NaN/inf \(first at person 0, frame 0'),
    'inf': (dict(keypoint=np.concatenate([np.ones((1, 2, 20, 3)), np.full((1, 3, 20, 3), np.inf)], 1)
                 .astype(np.float32)), r'NaN/inf \(first at person 0, frame 2, joint 0\)'),
    'zero_length': (dict(keypoint=np.zeros((1, 0, 20, 3), np.float32), total_frames=0), 'zero-length sequence'),
    'all_zero': (dict(keypoint=np.zeros((1, 5, 20, 3), np.float32)), 'all-zero skeleton'),
    'joints': (dict(keypoint=np.ones((1, 5, 25, 3), np.float32)), "25 joints, but the config's graph layout has 20"),
    'coords_2d': (dict(keypoint=np.ones((1, 5, 20, 2), np.float32)), '2D keypoints, but the config expects 3D '
                  r'\(2D data into a 3D config\)'),
    'label_high': (dict(label=4), r'label 4 is outside the class list \(0..3\)'),
    'label_negative': (dict(label=-1), r'label -1 is outside the class list'),
    'label_str': (dict(label='wave'), r"label must be an integer class index, got str 'wave'"),
    'label_bool': (dict(label=True), 'label must be an integer class index, got bool True'),
    'frames_str': (dict(total_frames='5'), "total_frames must be an integer frame count, got str '5'"),
    'keypoint_object': (dict(keypoint=np.ones((1, 5, 20, 3), np.float32).astype(object)),
                        'keypoint must be a numeric .* array, got dtype object'),
    'frames_mismatch': (dict(total_frames=9), 'total_frames=9 but keypoint has 5 frames'),
    'keypoint_3d_array': (dict(keypoint=np.ones((5, 20, 3), np.float32)), r'shape \(M, T, V, C\)'),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_sample_skipped_or_raised(tmp_path, warnings_log, case):
    overrides, reason = BAD[case]
    bad = sample(f'bad_{case}', **dict(dict(label=1), **overrides))
    path = write_pkl(tmp_path / 'data.pkl', [sample('good0', 0), bad, sample('good1', 3, seed=1)])
    ds = build(path)
    assert len(ds) == 2 and [ds.get_data_info(i)['frame_dir'] for i in range(2)] == ['good0', 'good1']
    assert len(ds.excluded) == 1 and ds.excluded[0]['sample'] == f'bad_{case}'
    assert re.search(reason, ds.excluded[0]['reason'])
    msgs = [r.getMessage() for r in warnings_log]
    named = [m for m in msgs if f"sample 'bad_{case}'" in m]
    assert len(named) == 1 and path in named[0] and named[0].endswith('-> excluded')
    assert re.search(reason, named[0])
    assert any('1 sample(s) excluded, 2 kept' in m for m in msgs)

    with pytest.raises(SkeletonDataError, match=re.escape(f"{path}: sample 'bad_{case}': ") + '.*' + reason):
        build(path, on_bad_sample='error')


def test_missing_keys(tmp_path, warnings_log):
    bad = sample('nokp', 0)
    del bad['keypoint'], bad['total_frames']
    path = write_pkl(tmp_path / 'd.pkl', [sample('good', 1), bad, 'not a dict'])
    ds = build(path)
    assert len(ds) == 1
    assert ds.excluded == [
        dict(sample='nokp', reason="missing keys ['keypoint', 'total_frames'] (a sample needs "
             "['frame_dir', 'label', 'keypoint', 'total_frames'])"),
        dict(sample='#2', reason='expected a dict, got str'),
    ]
    with pytest.raises(SkeletonDataError, match=r"d\.pkl: sample 'nokp': missing keys \['keypoint'"):
        build(path, on_bad_sample='error')


def test_checks_follow_the_config(tmp_path):
    """Without num_joints/num_coords/classes, joint count, 2D/3D and the label range are not constrained."""
    path = write_pkl(tmp_path / 'd.pkl', [sample('a', 7, v=17, c=2)])
    ds = SkeletonDataset(ann_file=path, pipeline=[], serialize_data=False)
    assert len(ds) == 1 and 'classes' not in ds.metainfo
    with pytest.raises(SkeletonDataError, match='no usable sample'):
        build(path)
    with pytest.raises(ValueError, match='on_bad_sample'):
        build(path, on_bad_sample='warn')


def test_file_level_errors(tmp_path):
    good = pickle.dumps(dict(annotations=[sample('a', 0)], split=dict(train=['a'])))
    trunc = tmp_path / 'trunc.pkl'
    trunc.write_bytes(good[:len(good) // 2])
    with pytest.raises(SkeletonDataError, match=rf'{trunc}: not a readable pickle.*truncated or corrupt'):
        build(str(trunc))
    corrupt = tmp_path / 'corrupt.pkl'
    corrupt.write_bytes(b'this is not a pickle at all')
    with pytest.raises(SkeletonDataError, match=rf'{corrupt}: not a readable pickle'):
        build(str(corrupt))
    with pytest.raises(FileNotFoundError, match='missing.pkl: annotation file not found'):
        build(str(tmp_path / 'missing.pkl'))

    no_annos = write_pkl(tmp_path / 'noannos.pkl', None, raw=dict(split=dict(train=['a']), samples=[]))
    with pytest.raises(SkeletonDataError, match=rf"{no_annos}: expected a dict with \"annotations\".*'samples'"):
        build(no_annos)
    a_list = write_pkl(tmp_path / 'list.pkl', None, raw=[sample('a', 0)])
    with pytest.raises(SkeletonDataError, match=rf'{a_list}: expected a dict .* got list'):
        build(a_list)
    not_list = write_pkl(tmp_path / 'notlist.pkl', None, raw=dict(annotations=dict(a=1)))
    with pytest.raises(SkeletonDataError, match=rf'{not_list}: "annotations" must be a list'):
        build(not_list)

    no_split = write_pkl(tmp_path / 'nosplit.pkl', [sample('a', 0)])
    with pytest.raises(SkeletonDataError, match=rf"{no_split}: split='xsub_train' was asked for, but the file "
                       'has no "split" dict'):
        build(no_split, split='xsub_train')
    with_split = write_pkl(tmp_path / 'split.pkl', [sample('a', 0)], split=dict(xsub_train=['a'], xsub_val=[]))
    with pytest.raises(SkeletonDataError, match=rf"{with_split}: no split 'train'; it has \['xsub_train', "
                       r"'xsub_val'\]"):
        build(with_split, split='train')
    with pytest.raises(SkeletonDataError, match=rf"{with_split}: no usable sample \(split='xsub_val'"):
        build(with_split, split='xsub_val')


def test_split_ids_without_annotation_are_reported(tmp_path, warnings_log):
    path = write_pkl(tmp_path / 'd.pkl', [sample('a', 0)], split=dict(train=['a', 'ghost1', 'ghost2']))
    assert len(build(path, split='train')) == 1
    assert any("2 ids of split 'train' have no annotation (first: ['ghost1', 'ghost2'])" in r.getMessage()
               for r in warnings_log)


def test_empty_class_list(tmp_path):
    path = write_pkl(tmp_path / 'd.pkl', [sample('a', 0)])
    with pytest.raises(ValueError, match=rf'{path}: empty class list'):
        build(path, classes=[])
    empty_map = tmp_path / 'empty_map.txt'
    empty_map.write_text('\n\n')
    with pytest.raises(ValueError, match='empty label map'):
        build(path, classes=str(empty_map))


def test_class_subset_names(tmp_path):
    annos = [sample(f's{i}', i % 4, seed=i) for i in range(8)]
    path = write_pkl(tmp_path / 'd.pkl', annos)
    ds = build(path, class_subset=['jump', 'wave'])
    assert ds.metainfo['classes'] == ('jump', 'wave')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(d['frame_dir'], d['label'], d['original_label']) for d in infos] == \
        [('s0', 1, 0), ('s3', 0, 3), ('s4', 1, 0), ('s7', 0, 3)]
    with pytest.raises(ValueError, match=r"names \['run'\] are not in the dataset's classes"):
        build(path, class_subset=['wave', 'run'])
    with pytest.raises(ValueError, match='duplicate'):
        build(path, class_subset=['wave', 'wave'])
    with pytest.raises(ValueError, match='needs the dataset\'s `classes`'):
        SkeletonDataset(ann_file=path, pipeline=[], class_subset=['wave'], serialize_data=False)


def test_class_subset_zsl_split(tmp_path):
    names = load_label_map('msr_action3d')
    annos = [sample(f's{i:02d}', i, seed=i) for i in range(20)]
    path = write_pkl(tmp_path / 'd.pkl', annos)
    unseen = build(path, classes='msr_action3d', class_subset=dict(zsl_split='msr_action3d_15_5', part='unseen'))
    want = ['draw circle', 'two hand wave', 'side kick', 'tennis serve', 'pickup and throw']
    assert list(unseen.metainfo['classes']) == want == zsl_class_names('msr_action3d_15_5', 'unseen')
    infos = [unseen.get_data_info(i) for i in range(len(unseen))]
    assert [d['label'] for d in infos] == [0, 1, 2, 3, 4]
    assert [d['original_label'] for d in infos] == [8, 10, 14, 17, 19]
    assert [names[d['original_label']] for d in infos] == want
    seen = build(path, classes='msr_action3d', class_subset=dict(zsl_split='msr_action3d_15_5', part='seen'))
    assert len(seen) == 15 and [seen.get_data_info(i)['label'] for i in range(15)] == list(range(15))
    assert not set(seen.metainfo['classes']) & set(want)
    with pytest.raises(ValueError, match='zsl_split and part'):
        build(path, classes='msr_action3d', class_subset=dict(split='msr_action3d_15_5'))
    with pytest.raises(KeyError, match='unknown zero-shot split'):
        build(path, classes='msr_action3d', class_subset=dict(zsl_split='msr_action3d_10_10'))


# ------------------------------------------------------------------------ the MSR base config, real data
@pytest.fixture(scope='module')
def msr_cfg():
    return Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'msr_action3d_xsub.py'))


def _build_from_cfg(cfg_dataset, ann_file):
    """As a Runner does it: the configs' default_scope is sugar_mm."""
    from mmengine.registry import DefaultScope

    from sugar_mm.registry import DATASETS
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        return DATASETS.build(dict(cfg_dataset, ann_file=ann_file))


def test_msr_train_pipeline_on_real_data(msr_cfg, msr_pkl):
    ds = _build_from_cfg(msr_cfg.msr_train_dataloader.dataset, msr_pkl)
    assert isinstance(ds, SkeletonDataset) and len(ds) == 284 and ds.excluded == []
    assert ds.metainfo['classes'] == tuple(load_label_map('msr_action3d'))
    for idx in (0, 100, 283):
        out = ds[idx]
        inputs = out['inputs']
        assert isinstance(inputs, torch.Tensor) and inputs.dtype == torch.float32
        assert tuple(inputs.shape) == (1, 1, 32, 20, 3)
        assert torch.isfinite(inputs).all() and inputs.abs().sum() > 0
        assert out['data_samples'].gt_label.item() == ds.get_data_info(idx)['label']
        assert out['data_samples'].metainfo['frame_dir'] == ds.get_data_info(idx)['frame_dir']


def test_msr_val_and_test_pipelines_on_real_data(msr_cfg, msr_pkl):
    val = _build_from_cfg(msr_cfg.msr_val_dataloader.dataset, msr_pkl)
    test = _build_from_cfg(msr_cfg.msr_test_dataloader.dataset, msr_pkl)
    assert len(val) == len(test) == 273
    a, b = val[5]['inputs'], val[5]['inputs']
    assert tuple(a.shape) == (1, 1, 32, 20, 3) and torch.equal(a, b)  # test mode is deterministic
    assert tuple(test[5]['inputs'].shape) == (5, 1, 32, 20, 3)


def test_msr_prenormalize_axes_are_kinect_v1(msr_cfg, msr_pkl):
    """The config's PreNormalize3D joints put the shoulders (right -> left) on +x and the spine up (+z)."""
    from mmengine.registry import DefaultScope

    from sugar_mm.registry import TRANSFORMS
    with open(msr_pkl, 'rb') as f:
        anno = pickle.load(f)['annotations'][0]
    with DefaultScope.overwrite_default_scope('sugar_mm'):
        t = TRANSFORMS.build(msr_cfg.msr_train_pipeline[0])
    out = t(dict(anno, keypoint=anno['keypoint'].copy()))
    kp = out['keypoint'][0, 0]
    shoulders = kp[1] - kp[0]
    spine = kp[3] - kp[6]
    assert shoulders / np.linalg.norm(shoulders) == pytest.approx([1, 0, 0], abs=1e-5)
    assert spine[2] / np.linalg.norm(spine) > 0.9
