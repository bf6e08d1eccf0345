"""Shape families of compact particles (``particles.shape``), all as radial functions.

Real powders are not all rounded ellipsoids: TiO2 crystals are flat-faced, some rod- or
cuboid-like, others are plates or spheres. Every family here is written in the form
``RadialFn`` already evaluates (an ellipsoid softly cut by planes), so ``radius_along``
stays the exact radial extent of the mesh and placement, overlap and footprints keep
their guarantees without knowing about shapes.

The sharp families are convex polytopes {x : m_i . x <= d_i}: their reach along u is
min_i d_i / (m_i . u), exact and star-shaped. The soft minimum's width is made ~1000
times smaller than the particle (edges rounded by a thousandth of its radius: 0.1 nm at
the presets' sizes, far below a pixel), and the ellipsoid is made to circumscribe the
polytope with room to spare, so it never cuts a corner but still bounds the reach
tightly for the overlap tests.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..config import FLAT_FACED
from .meshes import icosphere, irregular_fn, random_rotation

SHAPES = ("ellipsoid", "sphere", "polyhedron", "cuboid", "rod", "plate")
SHARP = FLAT_FACED  # flat faces: shaded flat, not smoothed
SOFT = 1e-3  # soft-minimum width of the sharp families, a fraction of the unit-scale radius
MARGIN = 0.05  # the circumscribing ellipsoid stays this share outside every corner
TILT = np.radians(10.0)  # rods and plates lie on the substrate, tilted by at most this
_BOUND_DIRS = icosphere(4)[0]  # 2562 directions, none farther than ~0.04 rad from any other


def shape_fn(shape: str, rng: np.random.Generator, p) -> dict:
    """The radial function of one particle of family ``shape`` (unit-ish size; the mesh
    sets the scale from the volume-equivalent diameter). ``p``: the ParticleConfig.
    "ellipsoid" draws exactly what every earlier version drew, in the same order."""
    if shape == "sphere":
        return {"type": "sphere", "scale": 1.0}
    e = rng.uniform(p.elongation_min, p.elongation_max)
    if shape == "ellipsoid":
        return irregular_fn(rng, e, p.facets, p.facet_depth, p.roughness, p.roughness_lobes)
    if shape == "polyhedron":
        normals = _spread_normals(rng, p.facets)
        offsets = 1.0 - p.facet_depth * rng.uniform(0.0, 1.0, len(normals))
        stretch = np.array([e ** (2 / 3), e ** (-1 / 3), e ** (-1 / 3) * rng.uniform(0.85, 1.0)])
        return polytope_fn("polyhedron", random_rotation(rng), normals, offsets, stretch)
    box = np.vstack([np.eye(3), -np.eye(3)])
    if shape == "cuboid":
        stretch = np.array([e ** (2 / 3), e ** (-1 / 3), e ** (-1 / 3) * rng.uniform(0.6, 1.0)])
        return polytope_fn("cuboid", random_rotation(rng), box, np.ones(6), stretch)
    if shape == "rod":  # a square prism lying on the substrate (long axis x)
        rot = resting_rotation(rng, roll=rng.uniform(0, 2 * np.pi))
        return polytope_fn("rod", rot, box, np.ones(6), np.array([e ** (2 / 3), e ** (-1 / 3), e ** (-1 / 3)]))
    if shape == "plate":  # an irregular hexagonal prism lying flat, diameter / thickness = e
        ang = np.arange(6) * np.pi / 3 + rng.uniform(0, np.pi / 3)
        side = np.column_stack([np.cos(ang), np.sin(ang), np.zeros(6)])
        normals = np.vstack([side, [[0, 0, 1], [0, 0, -1]]])
        offsets = np.r_[1.0 - p.facet_depth * rng.uniform(0.0, 1.0, 6), 1.0 / e, 1.0 / e]
        rot = resting_rotation(rng, roll=rng.uniform(-TILT, TILT))
        return polytope_fn("plate", rot, normals, offsets, np.ones(3))
    raise ValueError(f"unknown particle shape {shape!r} (known: {', '.join(SHAPES)})")


def resting_rotation(rng: np.random.Generator, roll: float) -> np.ndarray:
    """Body x axis about horizontal, z about vertical (up to ``TILT``), any azimuth;
    ``roll`` turns the body about its x axis. Columns are the body axes in the world."""
    az, tilt = rng.uniform(0, 2 * np.pi), rng.uniform(-TILT, TILT)
    return _rz(az) @ _ry(tilt) @ _rx(roll)


def _rx(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _spread_normals(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` face normals spread over the sphere (a Fibonacci lattice, jittered) whose
    half-spaces close around the centre: every direction has a face ahead of it. The
    lattice alone closes for n >= 4, so after a few unlucky draws it is used as it is."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = np.pi * (1.0 + 5 ** 0.5) * k
    base = np.column_stack([np.sqrt(1 - z * z) * np.cos(phi), np.sqrt(1 - z * z) * np.sin(phi), z])
    for _ in range(20):
        nrm = base + 0.3 * rng.standard_normal(base.shape)
        nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
        if closes(nrm):
            return nrm
    return base


def closes(normals: np.ndarray, margin: float = 0.1) -> bool:
    """Whether the half-spaces n_i . x <= d_i (d_i > 0) bound a finite body: some n_i
    has n_i . u > 0 for every direction u. Checked on 2562 directions with a margin
    above how much n . u can change between one of them and any direction between."""
    return bool((_BOUND_DIRS @ normals.T).max(axis=1).min() > margin)


def polytope_fn(shape: str, rotation: np.ndarray, normals: np.ndarray, offsets: np.ndarray,
                stretch: np.ndarray) -> dict:
    """The polytope {y : n_i . y <= d_i} stretched by ``stretch`` along the body axes and
    turned by ``rotation``, as a ``radius_fn``. Plane normals are stored unit length
    (so each offset is the plane's distance from the centre, which ``RadialFn.bounds``
    takes as a lower bound on the reach)."""
    m = np.asarray(normals, float) / stretch[None, :]  # n . (x / s) <= d  <=>  (n / s) . x <= d
    size = np.linalg.norm(m, axis=1)
    m, d = m / size[:, None], np.asarray(offsets, float) / size
    corners = polytope_vertices(m, d)
    reach = float(np.linalg.norm(corners / stretch[None, :], axis=1).max())
    axes = stretch * reach * (1.0 + MARGIN)
    return {"type": "irregular", "shape": shape, "rotation": np.asarray(rotation, float).ravel().tolist(),
            "axes": axes.tolist(), "planes": m.tolist(), "offsets": d.tolist(), "soft": SOFT,
            "noise_amp": 0.0, "noise_lobes": 0.0, "noise_dirs": [], "noise_phase": [], "scale": 1.0}


def polytope_vertices(m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Corners of {x : m_i . x <= d_i}: every three planes' meeting point inside all."""
    triples = np.array(list(itertools.combinations(range(len(m)), 3)))
    a, b = m[triples], d[triples]
    ok = np.abs(np.linalg.det(a)) > 1e-9
    x = np.linalg.solve(a[ok], b[ok][:, :, None])[:, :, 0]
    inside = (x @ m.T <= d[None, :] + 1e-9 * (1 + np.abs(d))[None, :]).all(axis=1)
    return x[inside]


def corners(fn: dict) -> np.ndarray:
    """The corners of a sharp family's polytope about its centre, in nm (world axes)."""
    m, d = np.asarray(fn["planes"], float), np.asarray(fn["offsets"], float)
    rot = np.asarray(fn["rotation"], float).reshape(3, 3)
    return polytope_vertices(m, d) @ rot.T * float(fn["scale"])
