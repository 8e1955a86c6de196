"""Render skeleton sequences (matplotlib only): an animated GIF/MP4 and a PNG strip of key frames, captioned with
the predicted class and description. Bones come from the layout (``sugar_mm.datasets.layouts``)."""
from __future__ import annotations

import textwrap
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: NTU RGB+D 25-joint bones (1-based pairs of mmaction's nturgb+d layout, as 0-based (child, parent)).
_NTU_PARENTS = [1, 20, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 20, 7, 7, 11, 11]


def bones_for(num_joints: int, layout: Optional[str] = None) -> List[Tuple[int, int]]:
    """Bone pairs of a layout name, or guessed from the joint count (20: Kinect v1, 25: NTU, 13: Toyota)."""
    from sugar_mm.datasets.layouts import LAYOUTS
    if layout is None:
        layout = {20: 'kinect_v1', 13: 'toyota_13', 25: 'nturgb+d'}.get(num_joints)
    if layout == 'nturgb+d':
        return [(v, p) for v, p in enumerate(_NTU_PARENTS) if v != p]
    if layout in LAYOUTS:
        lay = LAYOUTS[layout]
        if lay.num_node != num_joints:
            raise ValueError(f'layout {layout!r} has {lay.num_node} joints, the data {num_joints}')
        return lay.inward
    return []


def _view(kp: np.ndarray) -> np.ndarray:
    """(M, T, V, C) -> (M, T, V, 2) screen coordinates: x right, y up (camera-centred 3D drops depth)."""
    xy = kp[..., :2].copy()
    return xy


def _limits(xy: np.ndarray) -> Tuple[Tuple[float, float], Tuple[float, float]]:
    valid = np.abs(xy).sum(-1) > 0
    pts = xy[valid] if valid.any() else xy.reshape(-1, 2)
    lo, hi = pts.min(0), pts.max(0)
    pad = 0.1 * (hi - lo).max() + 1e-3
    cx, cy = (lo + hi) / 2
    half = (hi - lo).max() / 2 + pad
    return (cx - half, cx + half), (cy - half, cy + half)


def _draw(ax, frame: np.ndarray, bones: Sequence[Tuple[int, int]], lim) -> None:
    """Draw one frame ``(M, V, 2)``."""
    colors = ['tab:blue', 'tab:red', 'tab:green']
    for m, person in enumerate(frame):
        if not np.abs(person).sum():
            continue
        for a, b in bones:
            if np.abs(person[a]).sum() and np.abs(person[b]).sum():
                ax.plot([person[a, 0], person[b, 0]], [person[a, 1], person[b, 1]], color=colors[m % 3], lw=2)
        ax.scatter(person[:, 0], person[:, 1], s=8, color='k', zorder=3)
    ax.set_xlim(*lim[0])
    ax.set_ylim(*lim[1])
    ax.set_aspect('equal')
    ax.set_xticks([])
    ax.set_yticks([])


def caption(pred_class: Optional[str], pred_text: Optional[str], truth: Optional[str] = None, width: int = 90):
    parts = []
    if pred_class:
        parts.append(f'prediction: {pred_class}')
    if truth:
        parts.append(f'truth: {truth}')
    line = '   '.join(parts)
    if pred_text:
        line += '\n' + '\n'.join(textwrap.wrap(f'"{pred_text}"', width))
    return line


def render_strip(keypoints: np.ndarray, out: str, num_frames: int = 6, title: str = '', layout: Optional[str] = None,
                 dpi: int = 100) -> str:
    """A PNG strip of ``num_frames`` evenly spaced frames of ``keypoints`` ``(M, T, V, C)``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    kp = np.asarray(keypoints)
    if kp.ndim == 3:
        kp = kp[None]
    xy = _view(kp)
    T = xy.shape[1]
    idx = np.linspace(0, T - 1, min(num_frames, T)).round().astype(int)
    bones = bones_for(kp.shape[2], layout)
    lim = _limits(xy)
    fig, axes = plt.subplots(1, len(idx), figsize=(2.2 * len(idx), 3.2), squeeze=False)
    for ax, t in zip(axes[0], idx):
        _draw(ax, xy[:, t], bones, lim)
        ax.set_title(f'frame {t + 1}/{T}', fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def render_animation(keypoints: np.ndarray, out: str, title: str = '', layout: Optional[str] = None, fps: int = 15,
                     dpi: int = 80) -> str:
    """An animated GIF (``.gif``, Pillow) or MP4 (``.mp4``, needs ffmpeg) of ``keypoints`` ``(M, T, V, C)``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib import animation
    kp = np.asarray(keypoints)
    if kp.ndim == 3:
        kp = kp[None]
    xy = _view(kp)
    bones = bones_for(kp.shape[2], layout)
    lim = _limits(xy)
    fig, ax = plt.subplots(figsize=(4, 4.8))

    def update(t):
        ax.clear()
        _draw(ax, xy[:, t], bones, lim)
        ax.set_title(f'frame {t + 1}/{xy.shape[1]}', fontsize=8)
        return []

    if title:
        fig.text(0.5, 0.01, title, ha='center', va='bottom', fontsize=7, wrap=True)
    fig.subplots_adjust(bottom=0.22)
    anim = animation.FuncAnimation(fig, update, frames=xy.shape[1], interval=1000 / fps)
    writer = animation.PillowWriter(fps=fps) if out.endswith('.gif') else animation.FFMpegWriter(fps=fps)
    anim.save(out, writer=writer, dpi=dpi)
    plt.close(fig)
    return out
