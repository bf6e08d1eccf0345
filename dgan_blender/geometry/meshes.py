"""Particle meshes as star-shaped radial functions, plus wire tubes.

Each particle is ``centre + r(d) * d`` over the directions ``d`` of an icosphere. Keeping
``r`` as a small JSON-able description (``radius_fn``) lets placement and overlap tests
ask "how far does this particle reach along d?" exactly, without the mesh.
"""

from __future__ import annotations

import functools
import math

import numpy as np

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


class RadialFn:
    """``radius_fn`` with its lists turned into arrays once: placement evaluates it
    tens of thousands of times on a few directions at a time, so the cost is numpy's
    per-call overhead. Rotation, axes, facet normals and noise directions are folded
    into one 3 x (3 + P + K) matrix: one product gives every projection."""

    __slots__ = ("sphere", "scale", "offsets", "soft", "amp", "phase", "matrix", "n_planes", "norm", "shape",
                 "_bounds")

    def __init__(self, fn: dict):
        self.sphere = fn["type"] == "sphere"
        self.scale = float(fn["scale"])
        self.shape: tuple = ("sphere",)
        self._bounds: tuple | None | bool = False
        if self.sphere:
            return
        rot = np.asarray(fn["rotation"], float).reshape(3, 3)
        axes = np.asarray(fn["axes"], float)
        normals = np.asarray(fn["planes"], float).reshape(-1, 3)
        self.offsets = np.asarray(fn["offsets"], float)
        self.soft = float(fn.get("soft", 0.04))
        self.amp = float(fn.get("noise_amp", 0.0))
        lobes = float(fn.get("noise_lobes", 0.0))
        ndirs = np.asarray(fn.get("noise_dirs", []), float).reshape(-1, 3)
        self.phase = np.asarray(fn.get("noise_phase", []), float)
        self.n_planes = len(self.offsets)
        self.norm = 1.0 / np.sqrt(max(len(ndirs), 1))
        # local = dirs @ rot; the ellipsoid needs local / axes, the facets local . n,
        # the surface noise lobes * local . n_k: all linear in dirs
        self.matrix = np.hstack([rot / axes[None, :], rot @ normals.T, lobes * (rot @ ndirs.T)])
        self.shape = (self.matrix.shape, self.n_planes, self.amp > 0)

    def bounds(self) -> tuple | None:
        """(lower, upper, scale, noise, facet offset, soft margin, scale): the reach over all
        directions lies in [lower, upper] (nm); from the ellipsoid reach r along a
        direction, in [(min(r, offset) - soft) (1 -+ noise), r (1 + noise)] x scale.
        None where no such bound is simple (deep noise, facets through the centre)."""
        if self._bounds is not False:
            return self._bounds
        if self.sphere:
            self._bounds = (self.scale * (1 - 1e-12), self.scale * (1 + 1e-12), self.scale, 0.0, np.inf, 0.0, self.scale)
            return self._bounds
        noise = self.amp * self.norm * (self.matrix.shape[1] - 3 - self.n_planes) if self.amp > 0 else 0.0
        inv = np.linalg.norm(self.matrix[:, :3], axis=0)  # 1 / semi-axes
        offset = float(self.offsets.min()) * (1 - 1e-9) if self.n_planes else np.inf
        soft = self.soft * np.log(self.n_planes + 1.0) if self.n_planes else 0.0
        if noise >= 0.5 or offset <= 0:
            self._bounds = None
            return None
        lo_ell, hi_ell = 1.0 / inv.max() * (1 - 1e-9), 1.0 / inv.min() * (1 + 1e-9)
        lower = (min(lo_ell, offset) - soft)
        lower = (lower * (1 - noise) if lower >= 0 else lower * (1 + noise)) * self.scale
        upper = hi_ell * (1 + noise) * self.scale * (1 + 1e-9)
        self._bounds = (lower - 1e-9 * abs(lower), upper, self.scale, noise, offset, soft, self.scale)
        return self._bounds


def radius_along(fn: dict | RadialFn, dirs: np.ndarray) -> np.ndarray:
    """Distance from the particle's centre to its surface along unit directions (N, 3)."""
    f = fn if isinstance(fn, RadialFn) else RadialFn(fn)
    dirs = np.asarray(dirs, float).reshape(-1, 3)
    if f.sphere:
        return np.full(len(dirs), f.scale)
    return _reach(dirs @ f.matrix, f.n_planes, f.offsets, f.soft, f.amp * f.norm if f.amp > 0 else None,
                  f.phase, f.scale)


def _reach(q: np.ndarray, p: int, offsets, soft, noise, phase, scale) -> np.ndarray:
    """The radial function from the projections ``q`` (N, 3 + P + K); the parameters are
    one body's (scalars, (P,), (K,)) or one row each ((N,), (P, N), (K, N)).

    The facet and noise terms are laid out one row per term (P, N), so each step is one
    long element-wise pass instead of N short ones; every element sees the operations
    of the row-wise original in the same order (the sums over terms are added up as
    numpy's row sum does), so a value does not depend on the layout or on what else is
    in the batch."""
    e = q[:, :3]
    r = 1.0 / np.sqrt(np.einsum("ij,ij->i", e, e))
    terms = np.ascontiguousarray(q[:, 3:].T)
    if p:
        cos = terms[:p]
        dist = _column(offsets) / np.maximum(cos, 1e-6)
        dist[~(cos > 1e-6)] = np.inf
        # soft minimum of the ellipsoid's and the facets' distances: rounded facet edges
        m = np.minimum(r, dist.min(axis=0))
        x = m - dist
        x /= soft
        total = _exp_term(np.subtract(m, r) / soft, p) + _sum_rows(_exp_term(x, p))
        r = m - soft * np.log(total)
    if noise is not None:
        wave = _sum_rows(np.cos(terms[p:] + _column(phase)))
        r = r * (1.0 + noise * wave)
    return r * scale


def _exp_term(x: np.ndarray, p: int) -> np.ndarray:
    """``np.exp(x)`` as the soft minimum's sum of ``p + 1`` terms needs it, in place.
    One term of that sum is exp(0) = 1, so a term under exp(-700) (< 2**-1009) cannot
    change the total's bits: raised to exp(-700) it is still absorbed (with at most ~17
    additions between it and the 1, each rounding a difference at most 2**55 times up,
    it stays under half an ulp of 1). The raise keeps numpy's exp off its slow path for
    results in the subnormal range and for -inf (10-20x slower per element)."""
    if p <= 64:
        np.maximum(x, -700.0, out=x)
    return np.exp(x, out=x)


def _column(values) -> np.ndarray:
    """Per-term parameters, (T,) one body's or (T, N) one row each, as (T, 1) or (T, N)."""
    v = np.asarray(values, float)
    return v[:, None] if v.ndim == 1 else v


def _sum_rows(x: np.ndarray) -> np.ndarray:
    """``x.T.sum(axis=1)`` for x (T, N), to the bit: numpy sums a short contiguous row
    in order below 8 terms, else in 8 strided partial sums joined pairwise."""
    t = len(x)
    if t == 0:
        return np.zeros(x.shape[1])
    if t < 8:
        return np.add.reduce(x, axis=0)  # row after row, in order
    if t > 128:
        return np.ascontiguousarray(x.T).sum(axis=1)
    full = t - t % 8
    r = np.add.reduce(x[:full].reshape(-1, 8, x.shape[1]), axis=0) if full > 8 else x[:8]
    r = r[0::2] + r[1::2]  # (r0 + r1), (r2 + r3), (r4 + r5), (r6 + r7)
    r = r[0::2] + r[1::2]
    s = r[0] + r[1]
    for i in range(full, t):
        s = s + x[i]
    return s


def row_norms(v: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """``np.linalg.norm(v, axis=-1)`` of real rows, to the bit, without its overhead."""
    return np.sqrt(np.add.reduce(v * v, axis=-1, keepdims=keepdims))


def radius_groups(fns: RadialFn | list[RadialFn], dirs: np.ndarray) -> np.ndarray:
    """Row g of ``dirs`` (G, M, 3) through ``fns[g]`` (or all through one ``fns``): the
    same bits as one ``radius_along(fns[g], dirs[g])`` per group, in one pass. Each group
    keeps its own matrix product (BLAS rounds a one-row product unlike a many-row one,
    and many-row ones alike whatever their count); the rest is element-wise."""
    dirs = np.ascontiguousarray(dirs, float)
    G, M = dirs.shape[:2]
    one = isinstance(fns, RadialFn)
    if one:
        f = fns
        if f.sphere:
            return np.full((G, M), f.scale)
        q = np.matmul(dirs, f.matrix).reshape(G * M, -1)
        return _reach(q, f.n_planes, f.offsets, f.soft, f.amp * f.norm if f.amp > 0 else None,
                      f.phase, f.scale).reshape(G, M)
    if not same_shape(fns):
        return np.stack([radius_along(f, d) for f, d in zip(fns, dirs)]).reshape(G, M)
    f = fns[0]
    if f.sphere:
        return np.repeat(np.array([g.scale for g in fns])[:, None], M, axis=1)
    if M >= 64:  # long groups: one body's scalars beat per-row parameters
        return np.stack([radius_groups(g, d[None])[0] for g, d in zip(fns, dirs)])
    q = np.matmul(dirs, np.stack([g.matrix for g in fns])).reshape(G * M, -1)
    return _reach_rows(q, fns, np.repeat(np.arange(G), M)).reshape(G, M)


def _reach_rows(q: np.ndarray, fns: list[RadialFn], which: np.ndarray, noise_if=None) -> np.ndarray:
    """``_reach`` with row i's parameters from ``fns[which[i]]`` (same shape)."""
    f = fns[0]
    noisy = f.amp > 0 if noise_if is None else noise_if

    def rows(values):
        return np.asarray(values, float)[which]

    def terms(values):
        return np.asarray(values, float).reshape(len(fns), -1).T[:, which]

    return _reach(q, f.n_planes, terms([g.offsets for g in fns]) if f.n_planes else None,
                  rows([g.soft for g in fns]) if f.n_planes else None,
                  rows([g.amp * g.norm for g in fns]) if noisy else None,
                  terms([g.phase for g in fns]) if noisy else None, rows([g.scale for g in fns]))


class RowReach:
    """``radius_along_rows(fns, which, .)`` for the same rows again and again (a fixed
    point iteration): each row's parameters gathered once, ``at(live, dirs)`` for a
    subset of them. Same bits as ``radius_along_rows``."""

    def __init__(self, fns: list[RadialFn], which: np.ndarray):
        self.fns, self.which = fns, np.asarray(which, np.intp)
        f = fns[0]
        self.plain = not f.sphere and not any(g.sphere for g in fns) and \
            len({(g.matrix.shape, g.n_planes) for g in fns}) == 1
        if not self.plain:
            return
        w = self.which
        self.mats = np.stack([g.matrix for g in fns])[w]
        self.p = f.n_planes
        noisy = f.matrix.shape[1] > 3 + self.p
        self.offsets = np.array([g.offsets for g in fns]).reshape(len(fns), -1).T[:, w] if self.p else None
        self.soft = np.array([g.soft for g in fns])[w] if self.p else None
        self.noise = np.array([g.amp * g.norm for g in fns])[w] if noisy else None
        self.phase = np.array([g.phase for g in fns]).reshape(len(fns), -1).T[:, w] if noisy else None
        self.scale = np.array([g.scale for g in fns])[w]

    def at(self, live: np.ndarray | None, dirs: np.ndarray) -> np.ndarray:
        if not self.plain:
            return radius_along_rows(self.fns, self.which if live is None else self.which[live], dirs)

        def rows(a):
            return a if a is None or live is None else a[..., live]

        q = np.einsum("nj,njc->nc", np.asarray(dirs, float), self.mats if live is None else self.mats[live])
        return _reach(q, self.p, rows(self.offsets), rows(self.soft), rows(self.noise), rows(self.phase),
                      rows(self.scale))


def radius_by_fn(fns: list[RadialFn], which: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Row i: the reach of ``fns[which[i]]`` along ``dirs[i]`` (N, 3), the bits of a
    ``radius_along`` call of two rows or more: each body's rows in one product (BLAS
    rounds many-row products alike whatever the count), the rest in one pass."""
    dirs = np.ascontiguousarray(dirs, float)
    which = np.asarray(which, np.intp)
    if not same_shape(fns):
        out = np.empty(len(dirs))
        for k, f in enumerate(fns):
            sel = np.flatnonzero(which == k)
            if len(sel):
                out[sel] = radius_along(f, dirs[np.concatenate([sel, sel[:1]])])[:len(sel)]
        return out
    if fns[0].sphere:
        return np.array([f.scale for f in fns])[which]
    f = fns[0]
    if len(fns) == 1:
        q = dirs @ f.matrix if len(dirs) > 1 else (np.vstack([dirs, dirs]) @ f.matrix)[:1]
        return _reach(q, f.n_planes, f.offsets, f.soft, f.amp * f.norm if f.amp > 0 else None, f.phase, f.scale)
    q = np.empty((len(dirs), f.matrix.shape[1]))
    for k, g in enumerate(fns):
        sel = np.flatnonzero(which == k)
        if len(sel) > 1:
            q[sel] = dirs[sel] @ g.matrix
        elif len(sel):
            q[sel] = (dirs[np.concatenate([sel, sel])] @ g.matrix)[:1]

    return _reach_rows(q, fns, which)


def same_shape(fns: list[RadialFn]) -> bool:
    """Whether ``fns`` can be evaluated as one stack (all spheres, or all with the same
    facet and noise terms)."""
    return len({f.shape for f in fns}) <= 1


def radius_along_rows(fns: list[RadialFn], which: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Row i: the reach of ``fns[which[i]]`` along ``dirs[i]`` - one evaluation for many
    particles (same result as one ``radius_along`` per particle)."""
    dirs = np.asarray(dirs, float).reshape(-1, 3)
    which = np.asarray(which, int)
    if all(f.sphere for f in fns):
        return np.array([f.scale for f in fns])[which]
    if any(f.sphere for f in fns) or len({(f.matrix.shape, f.n_planes) for f in fns}) > 1:
        out = np.empty(len(dirs))
        for k, f in enumerate(fns):
            sel = which == k
            if sel.any():
                out[sel] = radius_along(f, dirs[sel])
        return out
    q = np.einsum("nj,njc->nc", dirs, np.stack([f.matrix for f in fns])[which])
    return _reach_rows(q, fns, which, noise_if=q.shape[1] > 3 + fns[0].n_planes)


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


def particle_meshes(fns: list[dict], diameters: np.ndarray, level: int) -> tuple[list[Mesh], list[dict], np.ndarray]:
    """``particle_mesh`` of every (fn, diameter) in one pass, to the bit (on the compiled
    path reaches and volumes differ in the last bits); also each
    one's reach at unit scale along the icosphere's directions (G, V), which holds the
    reach along every coarser icosphere's directions too (they come first)."""
    dirs, faces = icosphere(level)
    fns = [dict(fn, scale=1.0) for fn in fns]
    if not fns:
        return [], [], np.zeros((0, len(dirs)))
    g, v = len(fns), len(dirs)
    from . import compiled  # here: it imports this module

    rfs = [RadialFn(fn) for fn in fns]
    if compiled.ENABLED:
        reach, volumes = compiled.reach_groups(rfs, dirs), compiled.volumes
    else:
        reach, volumes = radius_groups(rfs, np.broadcast_to(dirs, (g, v, 3))), _volumes
    unit = dirs[None, :, :] * reach[:, :, None]
    if all(fn == fns[0] for fn in fns):  # e.g. spheres: one shape, one volume
        vols = np.repeat(volumes(unit[:1], faces), g)
    else:
        vols = volumes(unit, faces)
    meshes, out = [], []
    for k, fn in enumerate(fns):
        scale = (np.pi / 6.0 * float(diameters[k]) ** 3 / float(vols[k])) ** (1.0 / 3.0)
        fn["scale"] = float(scale)
        meshes.append(Mesh(unit[k] * scale, np.array(faces)))
        out.append(fn)
    return meshes, out, reach


def _volumes(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """``mesh_volume`` of each of (G, V, 3) with the same faces, to the bit (the cross
    product written out as numpy's ``cross`` computes it)."""
    # each face's corners by np.take (2x faster than indexing): the first as (G * F, 3) rows
    # for the row-wise product, the others coordinate by coordinate, contiguous
    idx = [np.ascontiguousarray(faces[:, k], np.intp) for k in range(3)]
    a = np.take(vertices, idx[0], axis=1).reshape(-1, 3)
    by_axis = np.ascontiguousarray(vertices.transpose(2, 0, 1))  # (3, G, V)
    (b0, b1, b2), (c0, c1, c2) = (np.take(by_axis, idx[k], axis=2).reshape(3, -1) for k in (1, 2))
    cross = np.empty_like(a)
    cross[:, 0] = b1 * c2 - b2 * c1
    cross[:, 1] = b2 * c0 - b0 * c2
    cross[:, 2] = b0 * c1 - b1 * c0
    return np.einsum("ij,ij->i", a, cross).reshape(len(vertices), -1).sum(axis=1) / 6.0


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
        size = math.sqrt(n.dot(n))  # what np.linalg.norm computes, without its overhead
        if size < 1e-6:
            n = np.cross(tang[i], [1.0, 0.0, 0.0])
            size = math.sqrt(n.dot(n))
        normals[i] = ref = n / size
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


def projected_area_px(mesh: Mesh, pixel_size_nm: float, width_px: int, height_px: int) -> np.ndarray:
    """The mesh's own (unoccluded) top-down silhouette as a boolean (H, W) mask, sampled
    at pixel centres exactly as the renderer's rays are, so ``visible / projected``
    compares like with like. Every upward-facing triangle is rasterised over its own
    small pixel box; their union is the silhouette of a closed mesh, convex or not
    (a curved wire's outline is not its convex hull)."""
    px = float(pixel_size_nm)
    out = np.zeros((height_px, width_px), dtype=bool)
    tri = mesh.vertices[np.asarray(mesh.faces)][:, :, :2] / px - 0.5  # pixel-centre units
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    area2 = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    keep = area2 > 1e-12
    a, b, c, area2 = a[keep], b[keep], c[keep], area2[keep]
    lo = np.ceil(np.minimum(np.minimum(a, b), c) - 1e-9).astype(np.int64)
    hi = np.floor(np.maximum(np.maximum(a, b), c) + 1e-9).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width_px - 1, height_px - 1])
    nx, ny = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
    ok = (nx > 0) & (ny > 0)
    if not ok.any():
        return out
    a, b, c, area2, lo, nx, ny = a[ok], b[ok], c[ok], area2[ok], lo[ok], nx[ok], ny[ok]
    counts = nx * ny
    t = np.repeat(np.arange(len(counts)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    col = lo[t, 0] + k % nx[t]
    yi = lo[t, 1] + k // nx[t]  # pixel index along y, from the bottom
    eps = -1e-9 * area2[t]

    def edge(p, q):
        return (q[t, 0] - p[t, 0]) * (yi - p[t, 1]) - (q[t, 1] - p[t, 1]) * (col - p[t, 0])

    inside = (edge(a, b) >= eps) & (edge(b, c) >= eps) & (edge(c, a) >= eps)
    out[height_px - 1 - yi[inside], col[inside]] = True
    return out
