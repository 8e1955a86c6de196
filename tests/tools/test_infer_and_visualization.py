"""tools/infer.py on every input format, zero-shot --classes, --render pictures; the plotting tools; bad input."""
import importlib.util
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.conftest import MSR_RAW, tiny_text_encoder_cfg
from tests.integration.helpers import REPO, TINY_CTRGCN
from sugar_mm.registry import MODELS


def load_tool(rel):
    spec = importlib.util.spec_from_file_location(rel.replace('/', '_')[:-3], osp.join(REPO, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    """A tiny stage-1 config (CTR-GCN + knowledge-contrast head) and a checkpoint of it."""
    root = tmp_path_factory.mktemp('infer')
    cfg_file = str(root / 'tiny.py')
    with open(cfg_file, 'w') as f:
        f.write(f"_base_ = [{osp.join(REPO, 'configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py')!r}]\n"
                f"model = dict(backbone=dict(_delete_=True, **{TINY_CTRGCN!r}), cls_head=dict(in_channels=16, "
                f"text_encoder=dict(_delete_=True, **{tiny_text_encoder_cfg()!r}), "
                f"text_cache_dir={str(root / 'tb')!r}))\n")
    model = MODELS.build(Config.fromfile(cfg_file).model)
    ckpt = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return cfg_file, ckpt, root


def test_infer_every_input_format(tiny_model, tmp_path, msr_raw):
    cfg, ckpt, _ = tiny_model
    infer = load_tool('tools/infer.py')
    txt = osp.join(msr_raw, 'real_world_coordinates', 'a01_s01_e01_skeleton3D.txt')
    rng = np.random.default_rng(0)
    npy = str(tmp_path / 'seq.npy')
    np.save(npy, rng.normal(size=(40, 20, 3)).astype(np.float32))
    npz = str(tmp_path / 'seq.npz')
    np.savez(npz, keypoint=rng.normal(size=(1, 30, 20, 3)).astype(np.float32))
    pkl = str(tmp_path / 'two.pkl')
    annos = [dict(frame_dir=f's{i}', label=i, keypoint=rng.normal(size=(1, 25, 20, 3)).astype(np.float32),
                  total_frames=25) for i in range(2)]
    with open(pkl, 'wb') as f:
        pickle.dump(dict(annotations=annos), f)
    out = str(tmp_path / 'out.json')
    results = infer.main([cfg, ckpt, txt, npy, npz, pkl, '--topk', '3', '--out', out])
    assert [r['sample'] for r in results] == ['a01_s01_e01_skeleton3D.txt', 'seq.npy', 'seq.npz', 's0', 's1']
    with open(out) as f:
        saved = json.load(f)
    assert saved == json.loads(json.dumps(results))
    for r in results:
        assert len(r['topk']) == 3
        scores = [t['score'] for t in r['topk']]
        assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
        assert all(isinstance(t['name'], str) and t['name'] for t in r['topk'])


def test_infer_zero_shot_classes_and_render(tiny_model, tmp_path):
    cfg, ckpt, _ = tiny_model
    infer = load_tool('tools/infer.py')
    classes = tmp_path / 'classes.txt'
    classes.write_text('draw circle\nside kick\nmoonwalk\n')  # 'moonwalk' has no knowledge: name only
    npy = str(tmp_path / 'seq.npy')
    np.save(npy, np.random.default_rng(1).normal(size=(30, 20, 3)).astype(np.float32))
    results = infer.main([cfg, ckpt, npy, '--classes', str(classes), '--render', str(tmp_path / 'pics')])
    assert {t['name'] for t in results[0]['topk']} == {'draw circle', 'side kick', 'moonwalk'}
    assert osp.getsize(tmp_path / 'pics' / 'seq.npy.png') > 1000
    assert osp.getsize(tmp_path / 'pics' / 'seq.npy.gif') > 1000


@pytest.mark.parametrize('array,message', [
    (np.full((10, 20, 3), np.nan, dtype=np.float32), 'NaN or inf'),
    (np.zeros((0, 20, 3), dtype=np.float32), 'zero-length'),
    (np.zeros((10, 20, 3), dtype=np.float32), 'all-zero'),
    (np.zeros((20, 3), dtype=np.float32), 'shape'),
])
def test_bad_array_inputs_name_the_file(tmp_path, array, message):
    from sugar_mm.apis.readers import read_skeleton_input
    path = str(tmp_path / 'bad.npy')
    np.save(path, array)
    with pytest.raises(ValueError, match=message) as err:
        read_skeleton_input(path)
    assert 'bad.npy' in str(err.value)


def test_unknown_format_and_empty_label_list(tiny_model, tmp_path):
    from sugar_mm.apis.readers import InputFormatError, read_skeleton_input
    path = tmp_path / 'clip.mp4'
    path.write_bytes(b'\x00' * 10)
    with pytest.raises(InputFormatError, match='unknown skeleton format'):
        read_skeleton_input(str(path))
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    infer = load_tool('tools/infer.py')
    cfg, ckpt, _ = tiny_model
    npy = str(tmp_path / 'seq.npy')
    np.save(npy, np.ones((5, 20, 3), dtype=np.float32))
    with pytest.raises(ValueError, match='empty label map'):
        infer.main([cfg, ckpt, npy, '--classes', str(empty)])


def test_render_strip_and_gif_from_real_msr(tmp_path, msr_raw):
    tool = load_tool('tools/visualization/render_skeleton.py')
    src = osp.join(msr_raw, 'real_world_coordinates', 'a05_s01_e01_skeleton3D.txt')
    tool.main([src, '--out-dir', str(tmp_path), '--caption', 'forward punch', '--text', 'A punch.'])
    assert osp.getsize(tmp_path / 'a05_s01_e01_skeleton3D.txt_strip.png') > 5000
    assert osp.getsize(tmp_path / 'a05_s01_e01_skeleton3D.txt.gif') > 5000


def test_confusion_matrix_and_curves(tmp_path):
    from sugar_mm.visualization.plots import confusion_matrix, plot_confusion
    results = [dict(pred_score=np.eye(3)[p], gt_label=np.array([g]), pred_text_label=t)
               for p, g, t in [(0, 0, 0), (1, 1, -1), (2, 1, 2), (2, 2, 2)]]
    cm = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), 3)
    assert cm.tolist() == [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]]
    stats = plot_confusion(results, ['a', 'b', 'c'], str(tmp_path / 'cm.png'))
    assert stats['accuracy'] == pytest.approx(0.75) and stats['mean_class_recall'] == pytest.approx((1 + .5 + 1) / 3)
    stats = plot_confusion(results, ['a', 'b', 'c'], str(tmp_path / 'cm_text.png'), use_text=True)
    assert stats['accuracy'] == pytest.approx(0.5)  # the failed parse counts wrong
    dump = tmp_path / 'r.pkl'
    with open(dump, 'wb') as f:
        pickle.dump(results, f)
    load_tool('tools/analysis/confusion_matrix.py').main([str(dump), '--classes', str(_names(tmp_path)),
                                                          '--out', str(tmp_path / 'cm2.png')])
    assert osp.getsize(tmp_path / 'cm2.png') > 1000
    run = tmp_path / 'work' / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    (run / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in [
        dict(loss=2.0, step=1), dict(loss=1.5, step=2), {'acc/top1': 0.4, 'step': 1}]) + '\n')
    load_tool('tools/analysis/plot_curves.py').main(['--run', 'x', str(tmp_path / 'work'), '--keys', 'loss',
                                                     'acc/top1', '--out', str(tmp_path / 'curves.png')])
    assert osp.getsize(tmp_path / 'curves.png') > 1000


def _names(tmp_path):
    p = tmp_path / 'names.txt'
    p.write_text('a\nb\nc\n')
    return p


def test_random_rotate_scale_keeps_shape_and_zeros():
    from sugar_mm.datasets.transforms import RandomRotateScale3D
    rng = np.random.default_rng(0)
    kp = rng.normal(size=(2, 5, 20, 3)).astype(np.float32)
    kp[1] = 0
    np.random.seed(0)
    out = RandomRotateScale3D(max_angle=30, scale=(1.0, 1.0))(dict(keypoint=kp.copy()))['keypoint']
    assert out.shape == kp.shape and not out[1].any()
    # a rotation preserves every pairwise distance
    d0 = np.linalg.norm(kp[0, :, :, None] - kp[0, :, None], axis=-1)
    d1 = np.linalg.norm(out[0, :, :, None] - out[0, :, None], axis=-1)
    assert np.allclose(d0, d1, atol=1e-4) and not np.allclose(out[0], kp[0])
    same = RandomRotateScale3D(prob=0.0)(dict(keypoint=kp.copy()))['keypoint']
    assert np.array_equal(same, kp)
    with pytest.raises(ValueError, match='3D'):
        RandomRotateScale3D()(dict(keypoint=kp[..., :2].copy(), frame_dir='x'))
