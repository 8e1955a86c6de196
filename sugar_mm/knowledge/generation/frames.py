"""Video frames for visual knowledge: selecting mutually dissimilar frames, converting frames to PIL images, and
reading a class's frames lazily from videos, images and frame sequences (:class:`ClassFrameFolder`)."""
from __future__ import annotations

import os
import os.path as osp
import re
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# --------------------------------------------------------------------------------------------- frame selection

def select_dissimilar_frames(embeddings, k: int) -> List[int]:
    """Indices of ``k`` mutually dissimilar frames (greedy farthest-point selection on cosine similarity).

    Starts from the frame least similar to the mean embedding, then repeatedly adds the frame whose largest
    similarity to the frames already chosen is smallest, so near-duplicate frames (the many static frames of
    indoor activities) are skipped. Deterministic: ties go to the lowest index.

    Args:
        embeddings (array-like): ``(N, D)`` frame embeddings (any scale; they are L2-normalised here).
        k (int): Number of frames to keep; ``k >= N`` keeps all.

    Returns:
        list[int]: Indices in selection order.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f'embeddings must be (N, D), got shape {x.shape}')
    n = x.shape[0]
    if k >= n:
        return list(range(n))
    if k <= 0:
        return []
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    mean = x.mean(axis=0)
    mean = mean / max(np.linalg.norm(mean), 1e-12)
    chosen = [int(np.argmin(x @ mean))]
    max_sim = x @ x[chosen[0]]
    max_sim[chosen[0]] = np.inf
    while len(chosen) < k:
        nxt = int(np.argmin(max_sim))
        chosen.append(nxt)
        max_sim = np.maximum(max_sim, x @ x[nxt])
        max_sim[chosen] = np.inf
    return chosen


# ------------------------------------------------------------------------------------------------- conversion

def _to_pil(frame):
    from PIL import Image
    if isinstance(frame, Image.Image):
        return frame.convert('RGB')
    arr = np.asarray(frame)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return Image.fromarray(arr[..., :3])


# ------------------------------------------------------------------------------------------------ frame folders

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg')
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')


class FrameList(list):
    """A list of frames with ``ids`` naming them (``"video.mp4#12"``, ``"seq/0003.png"``)."""

    def __init__(self, frames=(), ids=()):
        super().__init__(frames)
        self.ids = list(ids)


def _natural_key(s: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', s)]


def uniform_indices(n: int, num: int) -> List[int]:
    """``num`` indices spread evenly over ``range(n)`` (all of them when ``num >= n``)."""
    if num <= 0 or num >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, num=num).round().astype(int).tolist()))


def read_video_frames(path: str, num: int = 16) -> Tuple[List[np.ndarray], List[int]]:
    """``num`` evenly spaced RGB frames of a video (OpenCV), and their frame indices.

    Frames are counted by grabbing (container frame counts can be wrong), then only the wanted ones decoded.
    """
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'cannot open video {path}')
    count = 0
    while cap.grab():
        count += 1
    cap.release()
    wanted = uniform_indices(count, num)
    want = set(wanted)
    frames, got = [], []
    cap = cv2.VideoCapture(path)
    try:
        for i in range(count):
            if not cap.grab():
                break
            if i in want:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                    got.append(i)
    finally:
        cap.release()
    return frames, got


def _read_image(path: str) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def _norm_name(name: str) -> str:
    return re.sub(r'[^0-9a-z]+', '_', name.lower()).strip('_')


class ClassFrameFolder(Mapping):
    """``{class: FrameList}`` read lazily from ``root/<class name>/``.

    A class folder may hold videos (:data:`VIDEO_EXTS`, ``frames_per_video`` evenly spaced frames each),
    images (:data:`IMAGE_EXTS`, each one a frame) and sub-folders of frame images (one sequence each, sampled
    like a video). Folder names match class names exactly or after normalisation (case, and any run of
    characters other than letters and digits, e.g. ``"eat meal/snack"`` -> ``eat_meal_snack``).

    Args:
        root (str): Folder with one sub-folder per class.
        class_names (Sequence[str]): The classes (folders of other names are ignored).
        frames_per_video (int): Frames sampled from each video or frame sequence.
        max_videos (int, optional): Use at most this many videos / sequences per class (evenly spaced).
    """

    def __init__(self, root: str, class_names: Sequence[str], frames_per_video: int = 16,
                 max_videos: Optional[int] = None):
        if not osp.isdir(root):
            raise FileNotFoundError(f'frames root {root} is not a folder')
        self.root = root
        self.frames_per_video = frames_per_video
        self.max_videos = max_videos
        by_norm: Dict[str, str] = {}
        for d in sorted(os.listdir(root)):
            if osp.isdir(osp.join(root, d)):
                by_norm.setdefault(_norm_name(d), d)
        self.folders: Dict[str, str] = {}
        for n in class_names:
            if osp.isdir(osp.join(root, n)) and '/' not in n:
                self.folders[n] = osp.join(root, n)
            elif _norm_name(n) in by_norm:
                self.folders[n] = osp.join(root, by_norm[_norm_name(n)])
        self.class_names = list(class_names)

    def __iter__(self):
        return iter(n for n in self.class_names if n in self.folders)

    def __contains__(self, name) -> bool:
        return name in self.folders

    def __len__(self):
        return len(self.folders)

    def __getitem__(self, name: str) -> FrameList:
        if name not in self.folders:
            raise KeyError(name)
        folder = self.folders[name]
        entries = sorted(os.listdir(folder), key=_natural_key)
        sequences = [e for e in entries if e.lower().endswith(VIDEO_EXTS) or osp.isdir(osp.join(folder, e))]
        images = [e for e in entries if e.lower().endswith(IMAGE_EXTS) and osp.isfile(osp.join(folder, e))]
        if self.max_videos is not None:
            sequences = [sequences[i] for i in uniform_indices(len(sequences), self.max_videos)]
        out = FrameList()
        for e in sequences:
            path = osp.join(folder, e)
            if osp.isdir(path):
                files = sorted((f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTS)), key=_natural_key)
                for i in uniform_indices(len(files), self.frames_per_video):
                    out.append(_read_image(osp.join(path, files[i])))
                    out.ids.append(f'{e}/{files[i]}')
            else:
                frames, idx = read_video_frames(path, self.frames_per_video)
                out.extend(frames)
                out.ids.extend(f'{e}#{i}' for i in idx)
        for e in images:
            out.append(_read_image(osp.join(folder, e)))
            out.ids.append(e)
        return out
