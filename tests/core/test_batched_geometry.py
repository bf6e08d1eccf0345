"""The batched geometry placement now uses must give, bit for bit, what the one-call-
per-body code gave (layouts of a seed must not move): each helper against the plain
numpy expression or the original one-pair-at-a-time routine, on irregular bodies, on
spheres and on mixed lists (the fallback paths)."""

from __future__ import annotations

import numpy as np
import pytest
import radial_cases

from dgan_blender.geometry import compiled
from dgan_blender.geometry.meshes import (RadialFn, RowReach, _sum_rows, _volumes, icosphere, irregular_fn,
                                          mesh_volume, particle_mesh, particle_meshes, radius_along,
                                          radius_along_rows, radius_by_fn, radius_groups, row_norms)
from dgan_blender.geometry.overlap import JITTER, PROBE_DIRS, depths, too_deep
from dgan_blender.geometry.placement import Body

RNG = np.random.default_rng(11)


def irregular(scale, rng=RNG, facets=8, roughness=0.04):
    return radial_cases.irregular(scale, rng, facets, roughness)


SAME, SPHERES, MIXED = radial_cases.radial_sets(RNG)


def unit_dirs(n, rng=RNG):
    return radial_cases.unit_dirs(n, rng)


@pytest.mark.parametrize("fns", [SAME, SPHERES, MIXED], ids=["irregular", "spheres", "mixed"])
@pytest.mark.parametrize("m", [1, 2, 16, 70])
def test_radius_groups_is_one_radius_along_per_group(fns, m):
    dirs = unit_dirs(len(fns) * m).reshape(len(fns), m, 3)
    want = np.stack([radius_along(f, d) for f, d in zip(fns, dirs)])
    assert np.array_equal(radius_groups(fns, dirs), want)
    assert np.array_equal(radius_groups(fns[0], dirs), np.stack([radius_along(fns[0], d) for d in dirs]))


@pytest.mark.parametrize("fns", [SAME, SPHERES, MIXED], ids=["irregular", "spheres", "mixed"])
def test_radius_by_fn_is_a_many_row_call_per_body(fns):
    which = RNG.integers(len(fns), size=300)
    which[:len(fns)] = np.arange(len(fns))
    which[-1] = len(fns) - 1
    dirs = unit_dirs(300)
    got = radius_by_fn(fns, which, dirs)
    for k, f in enumerate(fns):
        sel = np.flatnonzero(which == k)
        full = radius_along(f, np.vstack([dirs[sel], dirs[sel]]))  # two rows at least: a many-row product
        assert np.array_equal(got[sel], full[:len(sel)])


@pytest.mark.parametrize("fns", [SAME, SPHERES, MIXED], ids=["irregular", "spheres", "mixed"])
def test_row_reach_is_radius_along_rows(fns):
    which = RNG.integers(len(fns), size=120)
    dirs = unit_dirs(120)
    reach = RowReach(fns, which)
    assert np.array_equal(reach.at(None, dirs), radius_along_rows(fns, which, dirs))
    live = np.flatnonzero(RNG.uniform(size=120) < 0.5)
    assert np.array_equal(reach.at(live, dirs[live]), radius_along_rows(fns, which[live], dirs[live]))


@pytest.mark.parametrize("t", [1, 4, 8, 9, 13, 16, 20])
def test_sum_rows_adds_in_numpys_row_order(t):
    x = np.exp(RNG.standard_normal((500, t)) * 4)
    assert np.array_equal(_sum_rows(np.ascontiguousarray(x.T)), x.sum(axis=1))


def test_row_norms_are_numpys():
    v = RNG.standard_normal((1000, 3)) * 50
    assert np.array_equal(row_norms(v), np.linalg.norm(v, axis=1))
    assert np.array_equal(row_norms(v[:, :2], keepdims=True), np.linalg.norm(v[:, :2], axis=1, keepdims=True))


def test_batched_meshes_are_particle_mesh():
    rng = np.random.default_rng(5)
    fns = [irregular_fn(rng, 1.5, 8, 0.12, 0.04, 3.0) for _ in range(5)] + [{"type": "sphere", "scale": 1.0}]
    diameters = rng.uniform(60, 300, len(fns))
    with compiled.use(False):  # the numpy path, to the bit (the compiled one: tests/geometry/test_compiled.py)
        meshes, out, reach = particle_meshes(fns, diameters, 3)
    for fn, d, mesh, fn_out in zip(fns, diameters, meshes, out):
        want, want_fn = particle_mesh(fn, float(d), 3)
        assert np.array_equal(mesh.vertices, want.vertices) and np.array_equal(mesh.faces, want.faces)
        assert fn_out == want_fn
    verts, faces = icosphere(2)
    unit = verts[None] * np.stack([radius_along(RadialFn(dict(f, scale=1.0)), verts) for f in fns])[:, :, None]
    assert np.array_equal(_volumes(unit, faces), [mesh_volume(u, faces) for u in unit])


def original_penetration(a, ca, b, cb):
    """The pre-speed-up routine, one pair at a time (69eba92)."""
    depth = 0.0
    for p, cp, q, cq in ((a, ca, b, cb), (b, cb, a, ca)):
        towards = cq - cp
        towards = towards / max(np.linalg.norm(towards), 1e-9)
        dirs_p = np.vstack([PROBE_DIRS, towards])
        pts = np.vstack([p.probes, towards * radius_along(p.rf, towards[None])[0]]) + cp - cq
        dist = np.linalg.norm(pts, axis=1)
        excess = radius_along(q.rf, pts / np.maximum(dist[:, None], 1e-9)) - dist
        k = int(np.argmax(excess))
        fine = dirs_p[k] + JITTER
        fine /= np.linalg.norm(fine, axis=1, keepdims=True)
        pts = fine * radius_along(p.rf, fine)[:, None] + cp - cq
        dist = np.linalg.norm(pts, axis=1)
        fine_excess = radius_along(q.rf, pts / np.maximum(dist[:, None], 1e-9)) - dist
        depth = max(depth, float(excess[k]), float(fine_excess.max()))
    return depth


def body(fn: dict, diameter: float) -> Body:
    mesh, fn = particle_mesh(fn, diameter, 3)
    return Body.of(fn, diameter, mesh.vertices)


@pytest.mark.parametrize("kind", ["irregular", "sphere"])
def test_overlap_depths_are_the_original_penetration(kind):
    rng = np.random.default_rng(7 if kind == "irregular" else 8)

    def fn():
        return irregular_fn(rng, rng.uniform(1, 1.8), 8, 0.12, 0.04, 3.0) if kind == "irregular" else \
            {"type": "sphere", "scale": 1.0}

    a = body(fn(), 150.0)
    others = [body(fn(), float(d)) for d in rng.uniform(60, 300, 12)]
    # touching, overlapping and apart: centres along random directions at about contact distance
    u = unit_dirs(12, rng)
    cb = np.array([(0.55 + 0.5 * rng.uniform()) * (a.rmax + o.rmax) * d for o, d in zip(others, u)])
    ca = np.zeros(3)
    want = np.array([original_penetration(a, ca, o, c) for o, c in zip(others, cb)])
    assert np.array_equal(depths(a, ca, others, cb), want)
    allowed = np.quantile(want, 0.5) * np.ones(len(others))
    deep = too_deep(a, np.broadcast_to(ca, cb.shape), others, cb, allowed, np.arange(len(others)))
    assert np.array_equal(deep, want > allowed) and 0 < deep.sum() < len(deep)


def plain_reach(q, p, offsets, soft, noise, phase, scale):
    """The soft minimum as first written: every exp taken as it comes."""
    e = q[:, :3]
    r = 1.0 / np.sqrt(np.einsum("ij,ij->i", e, e))
    terms = np.ascontiguousarray(q[:, 3:].T)
    if p:
        cos = terms[:p]
        dist = np.where(cos > 1e-6, np.asarray(offsets)[:, None] / np.maximum(cos, 1e-6), np.inf)
        m = np.minimum(r, dist.min(axis=0))
        total = np.exp((m - r) / soft) + _sum_rows(np.exp((m - dist) / soft))
        r = m - soft * np.log(total)
    if noise is not None:
        r = r * (1.0 + noise * _sum_rows(np.cos(terms[p:] + np.asarray(phase)[:, None])))
    return r * scale


@pytest.mark.parametrize("soft", [0.04, 0.004, 0.0004])
@pytest.mark.parametrize("facets", [3, 8, 12])
def test_raised_tiny_exp_terms_leave_every_bit(soft, facets):
    # small ``soft``: most facet terms are exp(-1000) or less (subnormal or 0), raised to exp(-700)
    from dgan_blender.geometry.meshes import _reach

    rng = np.random.default_rng(facets)
    f = RadialFn({**irregular_fn(rng, 1.6, facets, 0.3, 0.04, 3.0), "soft": soft, "scale": 80.0})
    q = unit_dirs(20000, rng) @ f.matrix
    args = (f.n_planes, f.offsets, f.soft, f.amp * f.norm, f.phase, f.scale)
    cos = q[:, 3:3 + facets].T
    dist = np.where(cos > 1e-6, f.offsets[:, None] / np.maximum(cos, 1e-6), np.inf)
    with np.errstate(invalid="ignore"):  # inf - inf where a direction faces no facet
        x = (dist.min(axis=0) - dist) / soft
    assert ((x < -700) & np.isfinite(x)).sum() > 100 and np.isinf(x).any()  # both cases are there
    assert np.array_equal(_reach(q, *args), plain_reach(q, *args))
