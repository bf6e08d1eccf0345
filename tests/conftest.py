import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.geometry.meshes import radius_along
from dgan_blender.layout import Layout, Mesh, Particle


def uv_sphere(centre, radius, n=24):
    """A closed, outward-oriented UV sphere (tests build layouts without the generator)."""
    th = np.linspace(0, np.pi, n + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing="ij")
    ring = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    v = np.vstack([[0, 0, 1], ring, [0, 0, -1]])
    m, rows, faces = 2 * n, n - 1, []
    for j in range(m):
        faces.append([0, 1 + j, 1 + (j + 1) % m])
    for i in range(rows - 1):
        for j in range(m):
            a, b = 1 + i * m + j, 1 + i * m + (j + 1) % m
            faces += [[a, a + m, b + m], [a, b + m, b]]
    last = len(v) - 1
    for j in range(m):
        faces.append([last, 1 + (rows - 1) * m + (j + 1) % m, 1 + (rows - 1) * m + j])
    return Mesh(v * radius + np.asarray(centre, float), np.array(faces, np.int32))


@pytest.fixture
def two_sphere_layout():
    """64x64 px at 2 nm/px: two separate spheres resting on the substrate."""
    cfg = load_config("sio2-him", ["image.width_px=64", "image.height_px=64", "render.spp=4"])
    spheres = [((40.0, 60.0, 20.0), 20.0), ((90.0, 70.0, 15.0), 15.0)]
    particles = [Particle(i + 1, "sphere", np.array(c), 2 * r, uv_sphere(c, r))
                 for i, (c, r) in enumerate(spheres)]
    return Layout(cfg, 0, particles)


def _max_penetration(p, q):
    """Deepest vertex of q inside p, as a fraction of the smaller diameter (exact for
    the star-shaped solids: a point is inside when nearer than the surface along its ray).
    Vertex-based on purpose: an oracle independent of geometry/overlap.py."""
    v = q.mesh.vertices - p.center_nm
    d = np.linalg.norm(v, axis=1)
    return (radius_along(p.radius_fn, v / d[:, None]) - d).max() / min(p.diameter_nm, q.diameter_nm)


@pytest.fixture
def max_penetration():
    return _max_penetration


def _assert_no_overlap(particles, tol, reach):
    """No particle reaches into another deeper than the tolerance (+0.01), checked both
    ways for every pair whose centres lie within ``reach`` x their summed diameters."""
    for i, p in enumerate(particles):
        for q in particles[i + 1:]:
            if np.linalg.norm(p.center_nm - q.center_nm) > (p.diameter_nm + q.diameter_nm) * reach:
                continue
            assert _max_penetration(p, q) <= tol + 0.01
            assert _max_penetration(q, p) <= tol + 0.01


@pytest.fixture
def assert_no_overlap():
    return _assert_no_overlap
