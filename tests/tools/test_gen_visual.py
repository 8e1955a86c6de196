"""tools/knowledge/gen_visual.py end to end with a tiny random CLIP vision tower and a tiny random LLaVA (SmolLM2's
tokenizer plus an ``<image>`` token), on generated PNG folders, frame sequences and an .mp4 written with OpenCV."""
import os
import os.path as osp

import numpy as np
import pytest

from tests.conftest import TINY_LLAMA
from tests.knowledge.generation.helpers import load_tool
from sugar_mm.knowledge.generation import (ClassFrameFolder, KnowledgeDraft, name_only_visual, read_video_frames,
                                           visual_prompt)

cv2 = pytest.importorskip('cv2')

IMG = 32
TINY_CLIP_VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                        image_size=IMG, patch_size=8, projection_dim=16)
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}<image>\n"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
NAMES = ['wave hand', 'eat meal/snack', 'jump', 'sit down']


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    """Folders of a tiny CLIPVisionModelWithProjection and a tiny LlavaForConditionalGeneration (random)."""
    import torch
    from transformers import (AutoTokenizer, CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection,
                              LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor)
    from sugar_mm.utils.embedded_models import resolve_model_path
    root = tmp_path_factory.mktemp('models')
    image_processor = CLIPImageProcessor(size={'shortest_edge': IMG}, crop_size={'height': IMG, 'width': IMG})
    torch.manual_seed(0)
    clip_dir = str(root / 'clip')
    CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP_VISION)).save_pretrained(clip_dir)
    image_processor.save_pretrained(clip_dir)

    tok = AutoTokenizer.from_pretrained(resolve_model_path('embedded:smollm2-135m-instruct'))
    tok.add_special_tokens({'additional_special_tokens': ['<image>']})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok, patch_size=8,
                               vision_feature_select_strategy='default', num_additional_image_tokens=1,
                               chat_template=CHAT_TEMPLATE)
    text = {k: v for k, v in TINY_LLAMA.items() if k != 'model_type'}
    cfg = LlavaConfig(vision_config=CLIPVisionConfig(**TINY_CLIP_VISION),
                      text_config=LlamaConfig(**text, vocab_size=len(tok)),
                      image_token_index=tok.convert_tokens_to_ids('<image>'), vision_feature_layer=-1,
                      vision_feature_select_strategy='default')
    vlm_dir = str(root / 'vlm')
    LlavaForConditionalGeneration(cfg).save_pretrained(vlm_dir)
    processor.save_pretrained(vlm_dir)
    return clip_dir, vlm_dir


def cluster_image(cluster, j, rng):
    """Three very different looks, each with near-duplicate noisy copies."""
    yy, xx = np.mgrid[0:48, 0:64]
    base = [np.stack([np.full((48, 64), 220), np.full((48, 64), 30), np.full((48, 64), 30)], -1),
            np.stack([((yy // 8 + xx // 8) % 2) * 255] * 3, -1),
            np.stack([xx * 4, yy * 5, 255 - xx * 4], -1)][cluster]
    return np.clip(base + rng.normal(scale=2.0, size=base.shape), 0, 255).astype(np.uint8)


def write_png(path, arr):
    from PIL import Image
    Image.fromarray(arr).save(path)


def write_video(path, n=20):
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, (64, 48))
    for i in range(n):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:, :, 1] = 12 * i
        frame[10:30, 2 * i:2 * i + 10] = 255
        writer.write(frame)
    writer.release()


@pytest.fixture(scope='module')
def frames_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('frames')
    rng = np.random.default_rng(0)
    wave = root / 'wave hand'  # loose images: 3 clusters x 4 near-duplicates
    wave.mkdir()
    for j in range(4):
        for c in range(3):
            write_png(str(wave / f'c{c}_{j}.png'), cluster_image(c, j, rng))
    eat = root / 'Eat_Meal_Snack'  # matched after normalisation; two frame sequences
    for seq in ('seq_a', 'seq_b'):
        (eat / seq).mkdir(parents=True)
        for j in range(6):
            write_png(str(eat / seq / f'{j:04d}.png'), cluster_image(j % 3, j, rng))
    (root / 'jump').mkdir()
    write_video(str(root / 'jump' / 'clip.mp4'))
    (root / 'unrelated').mkdir()
    return str(root)


def test_read_video_frames(frames_root):
    frames, idx = read_video_frames(osp.join(frames_root, 'jump', 'clip.mp4'), 4)
    assert idx == [0, 6, 13, 19] and len(frames) == 4
    assert frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    all_frames, all_idx = read_video_frames(osp.join(frames_root, 'jump', 'clip.mp4'), 100)
    assert all_idx == list(range(20))


def test_class_frame_folder(frames_root):
    folder = ClassFrameFolder(frames_root, NAMES, frames_per_video=4)
    assert list(folder) == NAMES[:3] and 'sit down' not in folder and len(folder) == 3
    eat = folder['eat meal/snack']
    assert eat.ids == [f'seq_{s}/{j:04d}.png' for s in 'ab' for j in (0, 2, 3, 5)] and len(eat) == 8
    assert len(folder['wave hand']) == 12 and folder['jump'].ids == ['clip.mp4#0', 'clip.mp4#6', 'clip.mp4#13',
                                                                     'clip.mp4#19']
    assert ClassFrameFolder(frames_root, NAMES, max_videos=1)['eat meal/snack'].ids == [
        f'seq_a/{j:04d}.png' for j in range(6)]


def test_gen_visual_end_to_end(models, frames_root, tmp_path, capsys):
    clip_dir, vlm_dir = models
    labels = tmp_path / 'labels.txt'
    labels.write_text('\n'.join(NAMES) + '\n')
    draft_path = str(tmp_path / 'draft.json')
    log = str(tmp_path / 'raw.jsonl')
    gen_visual = load_tool('gen_visual')
    args = ['--frames', frames_root, '--draft', draft_path, '--clip', clip_dir, '--vlm', vlm_dir, '--k', '3',
            '--frames-per-video', '4', '--retries', '2', '--max-new-tokens', '8', '--device', 'cpu',
            '--no-progress', '--classes', str(labels), '--raw-log', log]
    assert gen_visual.main(args) == 0
    out = capsys.readouterr().out
    assert 'visual: generated 3 classes' in out and draft_path in out and "'sit down'" in out

    draft = KnowledgeDraft.load(draft_path)
    frames = draft.provenance['visual']['frames']
    assert sorted(frames) == sorted(NAMES[:3]) and all(len(v) == 3 for v in frames.values())
    # one kept frame per look: the near-duplicates are skipped
    assert sorted(i.split('_')[0] for i in frames['wave hand']) == ['c0', 'c1', 'c2']
    assert all(i.startswith('clip.mp4#') for i in frames['jump'])
    for name in NAMES[:3]:
        texts = draft.get(name, 'visual')
        assert len(texts) == 3 and len({t.lower() for t in texts}) == 3, texts
        assert not set(texts) & set(name_only_visual(name))  # all three written by the VLM
        assert name not in draft.flags.get('visual', {})
    assert not draft.filled('sit down', 'visual')
    prov = draft.provenance['visual']
    assert prov['model'] == vlm_dir and prov['clip'] == clip_dir and prov['k'] == 3
    assert prov['prompt'] == 'Based on the image, describe \'{action}\' in detail.' + prov['prompt'][50:]
    assert visual_prompt('jump').startswith("Based on the image, describe 'jump' in detail.")
    with open(log) as f:
        assert sum(1 for _ in f) == 3

    # rerun: the three classes are filled and 'sit down' has no frames, so no model is loaded at all
    args[args.index(vlm_dir)] = '/nonexistent'
    assert gen_visual.main(args) == 0
    assert 'skipped 3 already filled' in capsys.readouterr().out
    assert KnowledgeDraft.load(draft_path).data == draft.data


def test_gen_visual_flags_short_classes(models, frames_root, tmp_path):
    """k larger than the frames available: the class is completed with name-only texts and flagged."""
    from sugar_mm.knowledge.generation import CLIPFrameEncoder, VisionLanguageModel, generate_visual
    clip_dir, vlm_dir = models
    clip = CLIPFrameEncoder.load(clip_dir, device='cpu')
    vlm = VisionLanguageModel.load(vlm_dir, device='cpu', max_new_tokens=6)
    frames = ClassFrameFolder(frames_root, ['jump'], frames_per_video=2)
    report = generate_visual(frames, clip, vlm, k=3, progress=False)
    assert len(report.frames['jump']) == 2 and len(report.results['jump']) == 3
    assert report.results['jump'][2] in name_only_visual('jump')
    assert 'only 2 frames available' in report.flags['jump']
    assert report.calls >= 2 and os.path.isdir(frames_root)
