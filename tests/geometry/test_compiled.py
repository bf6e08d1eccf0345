"""The compiled placement kernels against the numpy path they replace: the same layouts
(particles, counts, cluster labels, random draws), vertices and centres within 1e-9 nm.

The kernels round exp/log/cos and dot products unlike numpy, so values may differ in the
last bits, but every decision (accept or reject, chosen contact) must be the numpy
path's. benchmarks/compiled_identity.py runs the same comparison over whole data sets."""

from __future__ import annotations

import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.geometry import compiled, generate_layout
from dgan_blender.geometry.meshes import RadialFn, icosphere, irregular_fn, particle_meshes, radius_along
from dgan_blender.geometry.placement import Body, Packer
from dgan_blender.geometry.shapes import SHAPES, shape_fn

pytestmark = pytest.mark.skipif(compiled.kernels is None, reason="numba missing: the numpy path only")

TOL_NM = 1e-9


def layout(preset, overrides, seed, index, on):
    cfg = load_config(preset, list(overrides))
    s = sample_seed(seed, index)
    rng = np.random.default_rng(s)
    with compiled.use(on):
        lay = generate_layout(cfg, rng, s)
    return lay, rng.random()


@pytest.mark.parametrize("preset, overrides, seed, index", [
    ("tio2-sem", (), 0, 1), ("tio2-sem", (), 1, 4), ("tio2-tsem", (), 0, 5), ("sio2-him", (), 0, 0),
    ("agnw-sem", (), 0, 0), ("tio2-sem", ("agglomerates.layers=2d",), 0, 1),
    ("tio2-sem", ("agglomerates.placement=random",), 0, 0),
    ("tio2-sem", ("particles.shape=cuboid", "particles.coverage_max=0.1"), 1, 0),
    ("tio2-sem", ("particles.shape=plate", "particles.coverage_max=0.1"), 0, 2),
])
def test_compiled_layouts_are_the_numpy_ones(preset, overrides, seed, index):
    ref, next_ref = layout(preset, overrides, seed, index, False)
    new, next_new = layout(preset, overrides, seed, index, True)
    assert next_new == next_ref  # the same draws, in the same order
    assert len(new.particles) == len(ref.particles)
    for p, q in zip(new.particles, ref.particles):
        assert p.agglomerate == q.agglomerate and p.diameter_nm == q.diameter_nm
        assert np.array_equal(p.mesh.faces, q.mesh.faces)
        np.testing.assert_allclose(p.center_nm, q.center_nm, rtol=0, atol=TOL_NM)
        np.testing.assert_allclose(p.mesh.vertices, q.mesh.vertices, rtol=0, atol=TOL_NM)


@pytest.mark.parametrize("shape", SHAPES)
def test_reach_is_radius_along(shape):
    cfg = load_config("tio2-sem", [f"particles.shape={shape}"])
    rng = np.random.default_rng(3)
    fns = [RadialFn(dict(shape_fn(shape, rng, cfg.particles), scale=40.0 + 10 * k)) for k in range(4)]
    dirs = icosphere(3)[0]
    got = compiled.reach_groups(fns, dirs)
    want = np.stack([radius_along(f, dirs) for f in fns])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


def test_fits_many_decides_as_the_numpy_path():
    cfg = load_config("tio2-sem", [])
    rng = np.random.default_rng(5)
    packer = Packer(cfg)

    def body(d):
        fn = shape_fn("ellipsoid", rng, cfg.particles)
        meshes, fns, reach = particle_meshes([fn], np.array([d]), 3)
        return Body.of(fns[0], d, meshes[0].vertices, reach[0])

    for c in ([400.0, 400.0], [560.0, 420.0], [470.0, 560.0]):
        b = body(150.0)
        packer.add(b, np.array([*c, b.bottom]))
    b = body(120.0)
    cands = np.column_stack([rng.uniform(300, 700, 400), rng.uniform(300, 700, 400), rng.uniform(40, 160, 400)])
    with compiled.use(False):
        want = packer.fits_many(b, cands)
    with compiled.use(True):
        got = packer.fits_many(b, cands)
    assert np.array_equal(got, want) and 0 < want.sum() < len(want)


def test_use_switches_paths_and_restores():
    before = compiled.ENABLED
    with compiled.use(False):
        assert not compiled.ENABLED
    assert compiled.ENABLED == before


def test_compiled_meshes_are_the_numpy_ones():
    rng = np.random.default_rng(5)
    fns = [irregular_fn(rng, 1.5, 8, 0.12, 0.04, 3.0) for _ in range(5)] + [{"type": "sphere", "scale": 1.0}]
    diameters = rng.uniform(60, 300, len(fns))
    with compiled.use(False):
        want, want_fns, want_reach = particle_meshes(fns, diameters, 4)
    with compiled.use(True):
        got, got_fns, got_reach = particle_meshes(fns, diameters, 4)
    np.testing.assert_allclose(got_reach, want_reach, rtol=1e-13, atol=0)
    for g, w, gf, wf in zip(got, want, got_fns, want_fns):
        np.testing.assert_allclose(g.vertices, w.vertices, rtol=0, atol=TOL_NM)
        assert gf["scale"] == pytest.approx(wf["scale"], rel=1e-13)
