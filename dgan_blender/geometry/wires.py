"""Nanowire networks: curved centrelines inside the field, draped over earlier wires."""

from __future__ import annotations

import numpy as np

from ..config import SceneConfig


def centreline(length_nm: float, cfg: SceneConfig, rng: np.random.Generator, margin: float) -> np.ndarray:
    """A smoothly curving random-walk path inside the field: several starts are tried
    and the one that stays in the frame longest is kept (and cut at the border), so
    wires neither kink nor leave the frame."""
    w, h = cfg.field_nm
    step = cfg.wires.segment_nm
    n = max(2, int(np.ceil(length_nm / step)) + 1)
    seg = length_nm / (n - 1)
    sigma = cfg.wires.curvature_per_um * np.sqrt(seg / 1000.0)
    lo, hi = np.array([margin, margin]), np.array([w - margin, h - margin])
    best = None
    for _ in range(20):
        theta = rng.uniform(0, 2 * np.pi) + np.cumsum(sigma * rng.standard_normal(n - 1))
        steps = seg * np.column_stack([np.cos(theta), np.sin(theta)])
        pts = rng.uniform(lo, hi) + np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)])
        inside = np.all((pts >= lo) & (pts <= hi), axis=1)
        keep = int(np.argmin(inside)) if not inside.all() else n
        if best is None or keep > len(best):
            best = pts[:keep]
        if keep == n:
            break
    if len(best) < 2:  # shorter than one segment fits: a stub inside the frame
        best = np.vstack([best[0], np.clip(best[0] + [seg, 0.0], lo, hi)])
    return best


_CHUNK = 16  # centreline points lifted together


def _lift(xy: np.ndarray, a: np.ndarray, b: np.ndarray, reach: np.ndarray, reach2: np.ndarray) -> np.ndarray:
    """Per point of ``xy`` the highest centre height that clears the segments a-b
    (0 where none is within ``reach``: a segment out of reach gives 0 too);
    ``reach2``: the reach squared."""
    ab = b - a
    # distance from each new point to each segment of the earlier wires (xy only)
    t = np.clip(np.einsum("kij,ij->ki", xy[:, None, :2] - a[None, :, :2], ab[:, :2])
                / np.maximum((ab[:, :2] ** 2).sum(1), 1e-9), 0, 1)
    near = a[None, :, :2] + t[..., None] * ab[None, :, :2]
    dist = np.linalg.norm(xy[:, None, :2] - near, axis=2)
    zk = a[None, :, 2] + t * ab[None, :, 2]
    # every segment within reach counts, not only the nearest in xy: an earlier wire
    # that itself climbs over another is higher a little further along
    need = np.where(dist < reach, zk + np.sqrt(np.maximum(reach2 - dist**2, 0.0)), 0.0)
    return need.max(axis=1)


def drape(xy: np.ndarray, radius: float, earlier: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Heights of a new wire's centreline: on the substrate, lifted where it crosses an
    earlier wire so the two touch instead of interpenetrating; smoothed a little."""
    z = np.full(len(xy), radius)
    if earlier:  # all earlier wires' segments at once (each point's height is a max: order-free)
        a = np.concatenate([pts[:-1] for pts, _ in earlier])
        b = np.concatenate([pts[1:] for pts, _ in earlier])
        reach = np.concatenate([np.full(len(pts) - 1, radius + r) for pts, r in earlier])
        # squared as a Python float, as before: float ** 2 is the C library's pow, not x * x
        reach2 = np.concatenate([np.full(len(pts) - 1, (radius + r) ** 2) for pts, r in earlier])
        pad = (reach * (1 + 1e-9) + 1e-9)[:, None]  # a margin over rounding: a pruned segment gives 0
        lo, hi = np.minimum(a[:, :2], b[:, :2]) - pad, np.maximum(a[:, :2], b[:, :2]) + pad
        for start in range(0, len(xy), _CHUNK):  # a stretch of points against the segments near it
            part = xy[start:start + _CHUNK, :2]
            seg = np.flatnonzero(np.all((lo <= part.max(axis=0)) & (hi >= part.min(axis=0)), axis=1))
            if len(seg):
                z[start:start + _CHUNK] = np.maximum(z[start:start + _CHUNK],
                                                     _lift(part, a[seg], b[seg], reach[seg], reach2[seg]))
    if len(z) > 4:  # smooth, then never go below the required heights
        kernel = np.ones(5) / 5
        smooth = np.convolve(np.pad(z, 2, mode="edge"), kernel, mode="valid")
        z = np.maximum(z, smooth)
    return z
