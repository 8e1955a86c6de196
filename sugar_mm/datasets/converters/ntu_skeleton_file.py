"""The NTU RGB+D raw ``.skeleton`` file: parsing, sample names and the choice of persons.

Raw format (the Kinect v2 text files of the NTU release, one per sample, named ``SsssCcccPpppRrrrAaaa.skeleton``:
setup, camera, performer (= subject), replication, action, all 1-based)::

    frameCount
    bodyCount                                   <- per frame (0 when Kinect tracked nobody)
    bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence handRightState
        isRestricted leanX leanY trackingState  <- per body: 10 values
    jointCount                                  <- 25
    x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState
                                                <- per joint: 12 values, 25 lines (Kinect v2 joint order)

``x y z`` are camera coordinates in metres; only they go into the pickle. Line endings may be ``\\r\\n``.

Body selection (the rule of mmaction2's ``gen_ntu_rgbd_raw.py``, ``read_xyz``):

1. The i-th body listed in a frame goes to slot i (at most 4 slots, Kinect's limit for NTU); body ids are not
   tracked across frames.
2. Each slot's energy is the sum over x, y, z of the standard deviation of its coordinates over all joints of
   the frames where it is non-zero (so it grows with both motion and body extent; 0 for an empty slot).
3. The 2 slots of highest energy are kept, in decreasing energy (exact ties: lower slot first; mmaction's
   ``argsort()[::-1]`` takes the higher one, which only matters between empty slots), then all-zero slots are
   dropped, so ``M`` is 1 for single-person samples.

The conversion of a whole release into a ``PoseDataset`` pickle is :mod:`sugar_mm.datasets.converters.ntu_rgbd`.
"""
from __future__ import annotations

import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

__all__ = ['NUM_JOINTS', 'MAX_KINECT_BODIES', 'MAX_PERSONS', 'NTUFormatError', 'NTUBody', 'NTUSkeletonSequence',
           'is_sample_name', 'parse_sample_name', 'read_skeleton_file', 'select_bodies']

NUM_JOINTS = 25
#: Kinect slots read per frame (mmaction's ``max_body_kinect``).
MAX_KINECT_BODIES = 4
#: Persons kept per sample (mmaction's ``max_body_true``).
MAX_PERSONS = 2
BODY_INFO_FIELDS = ('bodyID', 'clippedEdges', 'handLeftConfidence', 'handLeftState', 'handRightConfidence',
                    'handRightState', 'isRestricted', 'leanX', 'leanY', 'trackingState')
JOINT_FIELDS = ('x', 'y', 'z', 'depthX', 'depthY', 'colorX', 'colorY', 'orientationW', 'orientationX',
                'orientationY', 'orientationZ', 'trackingState')
_NAME = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')


def is_sample_name(stem: str) -> bool:
    """Whether ``stem`` is an NTU sample name ``SsssCcccPpppRrrrAaaa`` (no extension)."""
    return _NAME.match(stem) is not None


class NTUFormatError(ValueError):
    """A raw NTU file does not follow the format; the message names the file and line."""


@dataclass
class NTUBody:
    """One body of one frame.

    Attributes:
        body_id (str): Kinect tracking id (kept as text: it exceeds float precision).
        info (np.ndarray): float64 (9,), the body-info values after ``bodyID`` (see ``BODY_INFO_FIELDS``).
        joints (np.ndarray): float64 (25, 12), one row per joint (see ``JOINT_FIELDS``).
    """

    body_id: str
    info: np.ndarray
    joints: np.ndarray


@dataclass
class NTUSkeletonSequence:
    """A parsed ``.skeleton`` file: ``frames[t]`` lists the bodies of frame ``t`` (possibly none)."""

    path: str
    frames: List[List[NTUBody]] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return len(self.frames)


def parse_sample_name(name: str) -> Dict[str, int]:
    """``'S001C002P003R001A060'`` (or a path / ``.skeleton`` file name) -> its five 1-based fields.

    Raises:
        NTUFormatError: when the name is not ``SsssCcccPpppRrrrAaaa``.
    """
    stem = osp.basename(name)
    if stem.endswith('.skeleton'):
        stem = stem[:-len('.skeleton')]
    m = _NAME.match(stem)
    if m is None:
        raise NTUFormatError(f'{name}: name does not match SsssCcccPpppRrrrAaaa(.skeleton)')
    s, c, p, r, a = (int(g) for g in m.groups())
    return dict(setup=s, camera=c, subject=p, replication=r, action=a)


def read_skeleton_file(path: str) -> NTUSkeletonSequence:
    """Parse one ``.skeleton`` file (format in the module docstring).

    Blank lines are only allowed after the last frame.

    Raises:
        NTUFormatError: naming the file and the first bad line (wrong count, wrong number of values, not a
            number, non-finite coordinates, truncated file, unexpected content after the last frame).
    """
    with open(path, encoding='ascii', errors='replace') as f:
        lines = f.read().splitlines()
    n = len(lines)
    pos = 0  # index of the next line to read; its 1-based line number is pos + 1

    def fail(lineno: int, msg: str) -> NTUFormatError:
        return NTUFormatError(f'{path}, line {lineno}: {msg}')

    def take(what: str) -> Tuple[int, str]:
        nonlocal pos
        if pos >= n:
            raise fail(n + 1, f'unexpected end of file, expected {what} (the file is truncated)')
        pos += 1
        return pos, lines[pos - 1]

    def take_count(what: str) -> int:
        lineno, text = take(what)
        try:
            value = int(text.strip())
        except ValueError:
            raise fail(lineno, f'expected {what} (one integer), got {text.strip()[:60]!r}') from None
        if value < 0:
            raise fail(lineno, f'{what} is negative ({value})')
        return value

    seq = NTUSkeletonSequence(path=path)
    num_frames = take_count('the frame count')
    for t in range(num_frames):
        num_bodies = take_count(f'the body count of frame {t + 1}')
        bodies = []
        for b in range(num_bodies):
            lineno, text = take(f'the body-info line of body {b + 1} in frame {t + 1}')
            parts = text.split()
            if len(parts) != len(BODY_INFO_FIELDS):
                raise fail(lineno, f'expected the {len(BODY_INFO_FIELDS)} body-info values '
                           f'({" ".join(BODY_INFO_FIELDS)}) of body {b + 1} in frame {t + 1}, got {len(parts)}: '
                           f'{text.strip()[:60]!r}')
            try:
                info = np.array(parts[1:], dtype=np.float64)
            except ValueError:
                raise fail(lineno, f'not a number in the body-info line {text.strip()[:60]!r}') from None
            num_joints = take_count(f'the joint count of body {b + 1} in frame {t + 1}')
            if num_joints != NUM_JOINTS:
                raise fail(pos, f'expected {NUM_JOINTS} joints (Kinect v2), got {num_joints}')
            block = lines[pos:pos + NUM_JOINTS]
            if len(block) < NUM_JOINTS:
                raise fail(n + 1, f'unexpected end of file inside the joints of body {b + 1} in frame {t + 1} '
                           f'(the file is truncated)')
            joints = _parse_joint_block(block, pos, fail)
            if not np.isfinite(joints[:, :3]).all():
                bad = int(np.nonzero(~np.isfinite(joints[:, :3]).all(axis=1))[0][0])
                raise fail(pos + bad + 1, 'non-finite joint coordinate (nan or inf)')
            pos += NUM_JOINTS
            bodies.append(NTUBody(body_id=parts[0], info=info, joints=joints))
        seq.frames.append(bodies)
    for k in range(pos, n):
        if lines[k].strip():
            raise fail(k + 1, f'unexpected content after the last of the {num_frames} frames declared on line 1: '
                       f'{lines[k].strip()[:60]!r}')
    return seq


def _parse_joint_block(block: Sequence[str], first: int, fail: Callable[[int, str], NTUFormatError]) -> np.ndarray:
    """25 joint lines -> float64 (25, 12); ``first`` is the 0-based index of the block's first line."""
    try:
        arr = np.array([line.split() for line in block], dtype=np.float64)
        if arr.shape == (NUM_JOINTS, len(JOINT_FIELDS)):
            return arr
    except ValueError:
        pass
    for k, line in enumerate(block):  # slow path: find the bad line
        parts = line.split()
        if len(parts) != len(JOINT_FIELDS):
            raise fail(first + k + 1, f'expected {len(JOINT_FIELDS)} joint values ({" ".join(JOINT_FIELDS)}), '
                       f'got {len(parts)}: {line.strip()[:60]!r}')
        try:
            [float(p) for p in parts]
        except ValueError:
            raise fail(first + k + 1, f'not a number in the joint line {line.strip()[:60]!r}') from None
    raise fail(first + 1, 'malformed joint block')  # pragma: no cover - one of the lines must be bad


def _motion_energy(body: np.ndarray) -> float:
    """Sum over x, y, z of the std of a slot's (T, 25, 3) coordinates over its non-zero frames and all joints."""
    present = np.any(body != 0, axis=(1, 2))
    if not present.any():
        return 0.0
    return float(body[present].reshape(-1, 3).std(axis=0).sum())


def select_bodies(seq: NTUSkeletonSequence,
                  max_bodies: int = MAX_KINECT_BODIES,
                  max_persons: int = MAX_PERSONS) -> np.ndarray:
    """The persons of a sequence as float32 ``(M, T, 25, 3)`` (rule in the module docstring).

    Args:
        seq (NTUSkeletonSequence): A parsed file.
        max_bodies (int): Slots read per frame; bodies beyond are ignored.
        max_persons (int): Slots kept, by decreasing energy.

    Returns:
        np.ndarray: ``M <= max_persons``; ``M == 0`` when no frame has a body.
    """
    slots = np.zeros((max_bodies, seq.num_frames, NUM_JOINTS, 3), dtype=np.float64)
    for t, bodies in enumerate(seq.frames):
        for m, body in enumerate(bodies[:max_bodies]):
            slots[m, t] = body.joints[:, :3]
    energy = [_motion_energy(s) for s in slots]
    order = sorted(range(max_bodies), key=lambda m: (-energy[m], m))[:max_persons]
    kept = [m for m in order if np.any(slots[m])]
    return slots[kept].astype(np.float32)
