"""The restricted unpickler of skeleton pickles: PoseDataset content loads, anything else is refused unrun.

Each crafted pickle unpickles as ``open(marker, 'w')``; the tests assert the marker does not exist.
"""
import collections
import os.path as osp
import pickle

import numpy as np
import pytest

from sugar_mm.apis.readers import read_skeleton_input
from sugar_mm.datasets.skeleton_dataset import SkeletonDataset, load_annotation_file
from sugar_mm.utils.safe_pickle import UnsafePickleError, load_pickle


class _OpenPayload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def _annotations(n=2):
    rng = np.random.default_rng(0)
    return [dict(frame_dir=f's{i}', label=i, total_frames=6, img_shape=(1080, 1920),
                 keypoint=rng.uniform(-1, 1, (1, 6, 20, 3)).astype(np.float32),
                 keypoint_score=np.ones((1, 6, 20), np.float16)) for i in range(n)]


def _write(path, obj, protocol=pickle.HIGHEST_PROTOCOL):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_pose_dataset_content_loads_under_every_protocol(tmp_path, protocol):
    obj = dict(annotations=_annotations(), split=dict(train=['s0'], val=['s1']),
               extra=dict(f64=np.float64(1.5), i64=np.int64(3), u8=np.arange(4, dtype=np.uint8),
                          big_endian=np.arange(3, dtype='>f8'), boolean=np.array([True, False]),
                          raw=b'\x00\xff', ids={'a', 'b'}, frozen=frozenset([1]), z=1 + 2j,
                          ordered=collections.OrderedDict(a=1), nested=[(1, 'x'), None, 2.5]))
    path = _write(tmp_path / 'ok.pkl', obj, protocol)
    loaded = load_pickle(path)
    with open(path, 'rb') as f:
        plain = pickle.load(f)  # what full unpickling gives (numpy normalises some dtypes under protocol < 5)
    assert loaded.keys() == obj.keys() and loaded['split'] == obj['split']
    for a, b in zip(loaded['annotations'], obj['annotations']):
        np.testing.assert_array_equal(a['keypoint'], b['keypoint'])
        assert a['keypoint'].dtype == b['keypoint'].dtype and a['img_shape'] == b['img_shape']
    for key, value in obj['extra'].items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(loaded['extra'][key], value)
            assert loaded['extra'][key].dtype == plain['extra'][key].dtype
        else:
            assert loaded['extra'][key] == value and type(loaded['extra'][key]) is type(value)


@pytest.mark.parametrize('protocol', [2, 5])
def test_crafted_pickle_is_refused_and_does_not_run(tmp_path, protocol):
    marker = str(tmp_path / 'payload_ran')
    path = _write(tmp_path / 'evil.pkl', dict(annotations=_annotations(), x=_OpenPayload(marker)), protocol)
    with pytest.raises(UnsafePickleError, match=rf'{path}: refused to unpickle the global (io|builtins)\.open') \
            as info:
        load_pickle(path, opt_in='--trust-me')
    assert '--trust-me' in str(info.value)
    assert not osp.exists(marker)
    load_pickle(path, trusted=True)  # the explicit opt-in unpickles everything
    assert osp.exists(marker)


@pytest.mark.parametrize('module,name', [('os', 'system'), ('builtins', 'eval'), ('builtins', 'getattr'),
                                         ('numpy', 'load'), ('numpy.core.multiarray', 'fromfile'),
                                         ('_codecs', 'decode')])
def test_other_globals_are_refused(tmp_path, module, name):
    path = tmp_path / 'g.pkl'
    path.write_bytes(b'\x80\x02c' + f'{module}\n{name}\n'.encode() + b'q\x00.')
    with pytest.raises(UnsafePickleError, match=rf'refused to unpickle the global {module}\.{name}'):
        load_pickle(str(path))


def test_codecs_encode_only_for_protocol_2_bytes(tmp_path):
    path = tmp_path / 'c.pkl'
    # _codecs.encode('x', 'rot13'): a codec other than protocol 2's latin1 bytes
    path.write_bytes(b'\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R.')
    with pytest.raises(UnsafePickleError, match='latin1'):
        load_pickle(str(path))


def test_dataset_and_infer_refuse_crafted_pickles(tmp_path):
    marker = str(tmp_path / 'payload_ran')
    path = _write(tmp_path / 'evil.pkl', dict(annotations=_annotations(), x=_OpenPayload(marker)))
    with pytest.raises(UnsafePickleError, match=r'evil\.pkl: refused.*trust_pickle=True in the dataset'):
        SkeletonDataset(ann_file=path, pipeline=[], serialize_data=False)
    with pytest.raises(UnsafePickleError, match=r'evil\.pkl: refused.*--trust-pickle'):
        read_skeleton_input(path)
    assert not osp.exists(marker)
    # explicit opt-ins
    ds = SkeletonDataset(ann_file=path, pipeline=[], serialize_data=False, trust_pickle=True)
    assert len(ds) == 2 and osp.exists(marker)
    assert [s['frame_dir'] for s in read_skeleton_input(path, trust_pickle=True)] == ['s0', 's1']


def test_converted_files_still_load(tmp_path):
    from sugar_mm.utils.io import atomic_pickle_dump
    path = str(tmp_path / 'conv.pkl')
    atomic_pickle_dump(dict(annotations=_annotations(3), split=dict(xsub_train=['s0', 's1'])), path)
    assert len(load_annotation_file(path)['annotations']) == 3
    assert len(SkeletonDataset(ann_file=path, pipeline=[], split='xsub_train', serialize_data=False)) == 2
