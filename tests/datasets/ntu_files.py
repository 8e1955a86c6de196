"""Helpers of the NTU tests: ``.skeleton`` files written in the real NTU text format."""
import numpy as np

BODY_ID_A = '72057594037931101'
BODY_ID_B = '72057594037931102'
BODY_ID_C = '72057594037931103'


def joints_of(seed: float, t: int = 0, amplitude: float = 0.0) -> np.ndarray:
    """Deterministic (25, 3) coordinates, distinct per seed; ``amplitude`` moves them with ``t``."""
    v = np.arange(25, dtype=np.float64)[:, None]
    base = np.concatenate([0.01 * v + seed, -0.02 * v + 0.5 * seed, 3.0 + 0.001 * v + 0.1 * seed], axis=1)
    return np.round(base + amplitude * np.sin(t + v / 7.0), 6)


def body_lines(body_id: str, xyz: np.ndarray) -> list:
    """One body in the real layout: 10 body-info values, jointCount, 25 lines of 12 values."""
    lines = [f'{body_id} 0 1 1 1 1 0 0.02764709 0.05745083 2', '25']
    for j, (x, y, z) in enumerate(xyz):
        # x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState
        lines.append(f'{x:.7g} {y:.7g} {z:.7g} {277.419 + j:.7g} {191.8062 + j:.7g} {1036.233 + j:.7g} '
                     f'{478.2031 + j:.7g} -0.2559841 0.004875523 0.9666528 -0.00245091 {2 if j % 5 else 1}')
    return lines


def write_skeleton(path: str, frames: list, newline: str = '\r\n') -> None:
    """``frames``: per frame a list of ``(body_id, xyz (25, 3))``."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines.extend(body_lines(body_id, xyz))
    with open(path, 'w', newline='') as f:
        f.write(newline.join(lines) + newline)


def one_person(n: int, seed: float, amplitude: float = 0.05) -> list:
    return [[(BODY_ID_A, joints_of(seed, t, amplitude))] for t in range(n)]


def lines_of(frames):
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines.extend(body_lines(body_id, xyz))
    return lines
