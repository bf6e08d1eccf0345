"""Particle meshes as star-shaped radial functions, plus wire tubes.

Each particle is ``centre + r(d) * d`` over the directions ``d`` of an icosphere. Keeping
``r`` as a small JSON-able description (``radius_fn``) lets placement and overlap tests
ask "how far does this particle reach along d?" exactly, without the mesh.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.path import Path as MplPath
from scipy.spatial import ConvexHull

from ..layout import Mesh


@functools.lru_cache(maxsize=8)
def icosphere(level: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit icosphere (vertices, faces CCW seen from outside)."""
    t = (1.0 + 5 ** 0.5) / 2.0
    v = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t),
         (0, -1, -t), (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    f = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
         (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
         (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    verts = [np.array(p, float) / np.linalg.norm(p) for p in v]
    faces = f
    for _ in range(level):
        cache: dict[tuple[int, int], int] = {}

        def mid(a: int, b: int) -> int:
            key = (min(a, b), max(a, b))
            if key not in cache:
                m = verts[a] + verts[b]
                verts.append(m / np.linalg.norm(m))
                cache[key] = len(verts) - 1
            return cache[key]

        new = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new
    V = np.array(verts)
    V.setflags(write=False)
    F = np.array(faces, dtype=np.int32)
    F.setflags(write=False)
    return V, F


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def radius_along(fn: dict, dirs: np.ndarray) -> np.ndarray:
    """Distance from the particle's centre to its surface along unit directions (N, 3)."""
    dirs = np.asarray(dirs, float).reshape(-1, 3)
    if fn["type"] == "sphere":
        return np.full(len(dirs), fn["scale"])
    rot = np.asarray(fn["rotation"]).reshape(3, 3)
    local = dirs @ rot
    axes = np.asarray(fn["axes"])
    r = 1.0 / np.sqrt(((local / axes) ** 2).sum(axis=1))
    if fn["planes"]:
        normals = np.asarray(fn["planes"])
        offsets = np.asarray(fn["offsets"])
        cos = local @ normals.T
        with np.errstate(divide="ignore"):
            dist = np.where(cos > 1e-6, offsets[None, :] / np.maximum(cos, 1e-6), np.inf)
        cand = np.concatenate([r[:, None], dist], axis=1)
        s = fn["soft"]
        m = cand.min(axis=1, keepdims=True)
        r = m[:, 0] - s * np.log(np.exp(-(cand - m) / s).sum(axis=1))  # rounded facet edges
    if fn["noise_amp"] > 0:
        v = np.asarray(fn["noise_dirs"])
        wave = np.cos(fn["noise_lobes"] * (local @ v.T) + np.asarray(fn["noise_phase"]))
        r = r * (1.0 + fn["noise_amp"] * wave.sum(axis=1) / np.sqrt(len(v)))
    return r * fn["scale"]


def mesh_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Signed volume (divergence theorem): positive for a closed, outward-oriented mesh."""
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def irregular_fn(rng: np.random.Generator, elongation: float, facets: int, facet_depth: float,
                 roughness: float, lobes: float) -> dict:
    """A rounded, elongated, slightly faceted solid of unit-ish size (scale set later)."""
    e = float(elongation)
    axes = [e ** (2 / 3), e ** (-1 / 3), e ** (-1 / 3) * rng.uniform(0.85, 1.0)]
    fn = {"type": "irregular", "rotation": random_rotation(rng).ravel().tolist(), "axes": axes,
          "planes": [], "offsets": [], "soft": 0.04, "noise_amp": float(roughness),
          "noise_lobes": float(lobes), "noise_dirs": [], "noise_phase": [], "scale": 1.0}
    if facets:
        normals = rng.standard_normal((facets, 3))
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        base = {"type": "irregular", **{k: fn[k] for k in ("axes", "soft")}, "planes": [],
                "offsets": [], "noise_amp": 0.0, "rotation": np.eye(3).ravel().tolist(), "scale": 1.0}
        reach = radius_along(base, normals)
        fn["planes"] = normals.tolist()
        fn["offsets"] = (reach * (1.0 - facet_depth * rng.uniform(0.3, 1.0, facets))).tolist()
    if roughness > 0:
        nd = rng.standard_normal((4, 3))
        fn["noise_dirs"] = (nd / np.linalg.norm(nd, axis=1, keepdims=True)).tolist()
        fn["noise_phase"] = rng.uniform(0, 2 * np.pi, 4).tolist()
    return fn


def particle_mesh(fn: dict, diameter_nm: float, level: int) -> tuple[Mesh, dict]:
    """Mesh at the origin whose volume-equivalent diameter is ``diameter_nm``; returns
    the mesh and ``fn`` with its ``scale`` set to match."""
    dirs, faces = icosphere(level)
    fn = dict(fn, scale=1.0)
    unit = dirs * radius_along(fn, dirs)[:, None]
    vol = mesh_volume(unit, faces)
    scale = (np.pi / 6.0 * diameter_nm ** 3 / vol) ** (1.0 / 3.0)
    fn["scale"] = float(scale)
    return Mesh(unit * scale, np.array(faces)), fn


def translated(mesh: Mesh, offset: np.ndarray) -> Mesh:
    return Mesh(mesh.vertices + np.asarray(offset, float)[None, :], mesh.faces)


def tube_mesh(points: np.ndarray, radius_nm: float, sides: int = 12) -> Mesh:
    """A closed tube around a polyline (flat end caps), faces CCW outward."""
    pts = np.asarray(points, float)
    k = len(pts)
    tang = np.gradient(pts, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    ref = np.array([0.0, 0.0, 1.0])
    normals = np.empty_like(pts)
    for i in range(k):  # parallel transport keeps the rings from twisting
        n = ref - tang[i] * (ref @ tang[i])
        if np.linalg.norm(n) < 1e-6:
            n = np.cross(tang[i], [1.0, 0.0, 0.0])
        normals[i] = ref = n / np.linalg.norm(n)
    binorm = np.cross(tang, normals)
    ang = 2 * np.pi * np.arange(sides) / sides
    ring = np.cos(ang)[None, :, None] * normals[:, None, :] + np.sin(ang)[None, :, None] * binorm[:, None, :]
    verts = (pts[:, None, :] + radius_nm * ring).reshape(-1, 3)
    faces = []
    idx = np.arange(k * sides).reshape(k, sides)
    a, b = idx[:-1], np.roll(idx[:-1], -1, axis=1)
    c, d = idx[1:], np.roll(idx[1:], -1, axis=1)
    faces.append(np.stack([a, b, d], -1).reshape(-1, 3))
    faces.append(np.stack([a, d, c], -1).reshape(-1, 3))
    start, end = len(verts), len(verts) + 1
    verts = np.vstack([verts, pts[0], pts[-1]])
    s0, s1 = idx[0], np.roll(idx[0], -1)
    e0, e1 = idx[-1], np.roll(idx[-1], -1)
    faces.append(np.stack([np.full(sides, start), s1, s0], -1))
    faces.append(np.stack([np.full(sides, end), e0, e1], -1))
    f = np.vstack(faces).astype(np.int32)
    mesh = Mesh(verts, f)
    if mesh_volume(verts, f) < 0:
        mesh = Mesh(verts, f[:, ::-1].copy())
    return mesh


def _hull_mask(xy: np.ndarray, px: float, w: int, h: int, out: np.ndarray) -> None:
    """Mark pixels whose centres fall inside the convex hull of points ``xy`` (nm)."""
    lo = np.floor(xy.min(axis=0) / px).astype(int)
    hi = np.ceil(xy.max(axis=0) / px).astype(int)
    c0, c1 = max(lo[0], 0), min(hi[0] + 1, w)
    ys0, ys1 = max(lo[1], 0), min(hi[1] + 1, h)
    if c0 >= c1 or ys0 >= ys1:
        return
    try:
        hull = ConvexHull(xy)
    except Exception:  # degenerate (flat) outline covers no pixel centre
        return
    path = MplPath(xy[hull.vertices])
    cols = np.arange(c0, c1)
    yrows = np.arange(ys0, ys1)  # index along y from the bottom
    X, Y = np.meshgrid((cols + 0.5) * px, (yrows + 0.5) * px)
    inside = path.contains_points(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    rows = h - 1 - yrows
    out[rows[:, None], cols[None, :]] |= inside


def projected_area_px(mesh: Mesh, pixel_size_nm: float, width_px: int, height_px: int,
                      ring_size: int | None = None) -> np.ndarray:
    """The particle's own (unoccluded) top-down silhouette, sampled at pixel centres
    exactly like the renderer, as a boolean (H, W) mask. Particles are convex-ish, so
    their silhouette is a convex hull; tubes are treated piecewise, ring by ring."""
    out = np.zeros((height_px, width_px), dtype=bool)
    xy = mesh.vertices[:, :2]
    if ring_size:
        rings = xy[: (len(xy) - 2)].reshape(-1, ring_size, 2)
        for i in range(len(rings) - 1):
            _hull_mask(np.vstack([rings[i], rings[i + 1]]), pixel_size_nm, width_px, height_px, out)
    else:
        _hull_mask(xy, pixel_size_nm, width_px, height_px, out)
    return out
