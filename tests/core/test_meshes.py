import numpy as np
import pytest

from dgan_blender.geometry.meshes import (icosphere, irregular_fn, mesh_volume, particle_mesh,
                                          projected_area_px, radius_along, translated, tube_mesh)


def _closed(faces):
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return (counts == 2).all()


@pytest.mark.parametrize("seed", range(5))
def test_irregular_particle_volume_and_orientation(seed):
    rng = np.random.default_rng(seed)
    fn = irregular_fn(rng, rng.uniform(1, 2), 8, 0.15, 0.05, 3.0)
    mesh, fn = particle_mesh(fn, 120.0, 3)
    vol = mesh_volume(mesh.vertices, mesh.faces)
    assert vol == pytest.approx(np.pi / 6 * 120.0 ** 3, rel=1e-9)  # volume-equivalent diameter
    assert _closed(mesh.faces)
    r = np.linalg.norm(mesh.vertices, axis=1)
    assert np.allclose(radius_along(fn, mesh.vertices / r[:, None]), r)
    assert r.max() / r.min() > 1.05  # not a sphere


def test_icosphere_counts():
    v, f = icosphere(3)
    assert v.shape == (642, 3) and f.shape == (1280, 3)
    assert mesh_volume(v, f) > 0 and _closed(f)


def test_tube_is_closed_and_outward():
    pts = np.array([[0, 0, 10], [40, 5, 10], [80, 20, 12], [120, 20, 10]], float)
    mesh = tube_mesh(pts, 8.0, 10)
    assert _closed(mesh.faces) and mesh_volume(mesh.vertices, mesh.faces) > 0


def test_projected_area_of_sphere():
    mesh, _ = particle_mesh({"type": "sphere", "scale": 1.0}, 100.0, 4)
    px = 2.0
    mask = projected_area_px(translated(mesh, [64.3, 70.1, 50.0]), px, 128, 128)
    expected = np.pi * (50.0 / px) ** 2
    assert abs(mask.sum() - expected) / expected < 0.02
    ys, xs = np.nonzero(mask)
    assert xs.mean() == pytest.approx(64.3 / px - 0.5, abs=0.1)
    assert ys.mean() == pytest.approx(128 - 70.1 / px - 0.5, abs=0.1)


def test_projected_area_of_curved_wire_is_not_its_hull():
    """An L-shaped tube covers its own strip, not the triangle its convex hull spans."""
    leg = np.linspace(0, 200, 21)
    pts = np.vstack([np.column_stack([20 + leg, np.full(21, 20.0)]),
                     np.column_stack([np.full(20, 220.0), 20 + leg[1:]])])
    pts = np.column_stack([pts, np.full(len(pts), 10.0)])
    mask = projected_area_px(tube_mesh(pts, 10.0, 16), 2.0, 128, 128)
    expected = (2 * 10.0 * 400.0 + np.pi * 10.0 ** 2 / 4) / 4.0  # strip plus the outer corner, in px
    assert abs(mask.sum() - expected) / expected < 0.08
    assert not mask[128 - 60, 60]  # inside the hull, outside the wire


def test_projected_area_matches_dense_sampling_of_irregular_particle():
    rng = np.random.default_rng(3)
    fn = irregular_fn(rng, 1.7, 8, 0.12, 0.04, 3.0)
    mesh, fn = particle_mesh(fn, 80.0, 4)
    mesh = translated(mesh, [100.0, 100.0, 60.0])
    mask = projected_area_px(mesh, 1.0, 200, 200)
    # a pixel centre is covered when the vertical line through it meets the solid:
    # sample heights along that line and ask radius_along whether any is inside
    ys, xs = np.mgrid[0:200, 0:200]
    x, y = xs + 0.5 - 100.0, (200 - ys - 0.5) - 100.0
    sel = np.hypot(x, y) < 58
    zs = np.linspace(-60, 60, 49)
    p = np.stack(np.broadcast_arrays(x[sel][:, None], y[sel][:, None], zs[None, :]), -1).reshape(-1, 3)
    d = np.linalg.norm(p, axis=1)
    inside = (d < radius_along(fn, p / np.maximum(d[:, None], 1e-9))).reshape(-1, len(zs)).any(axis=1)
    ref = np.zeros_like(mask)
    ref[sel] = inside
    assert abs(int(mask.sum()) - int(ref.sum())) / ref.sum() < 0.03
    assert (mask ^ ref).sum() / ref.sum() < 0.06


def test_radius_along_rows_matches_one_call_per_particle():
    """The batched evaluation placement uses must give each particle its own reach,
    for particles of one kind (stacked path) and of mixed kinds (fallback)."""
    from dgan_blender.geometry.meshes import RadialFn, irregular_fn, radius_along, radius_along_rows

    rng = np.random.default_rng(3)
    same = [RadialFn({**irregular_fn(rng, 1.4, 8, 0.12, 0.04, 3.0), "scale": s}) for s in (40.0, 70.0, 55.0)]
    mixed = same + [RadialFn({"type": "sphere", "scale": 30.0}),
                    RadialFn({**irregular_fn(rng, 1.2, 0, 0.0, 0.0, 0.0), "scale": 20.0})]
    for fns in (same, mixed):
        dirs = rng.standard_normal((200, 3))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        which = rng.integers(len(fns), size=200)
        got = radius_along_rows(fns, which, dirs)
        want = np.array([radius_along(fns[w], d[None])[0] for w, d in zip(which, dirs)])
        np.testing.assert_allclose(got, want, rtol=1e-12)
