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
