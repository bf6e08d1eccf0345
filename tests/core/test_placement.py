import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from dgan_blender.config import load_config
from dgan_blender.errors import ConfigError
from dgan_blender.geometry import generate_layout
from dgan_blender.geometry.meshes import radius_along


def layout(preset, overrides=(), seed=0):
    cfg = load_config(preset, list(overrides))
    return generate_layout(cfg, np.random.default_rng(seed), seed)



CASES = [("tio2-sem", ()), ("sio2-him", ()), ("sio2-him", ["agglomerates.layers=3d"]),
         ("tio2-sem", ["agglomerates.layers=2d"]), ("tio2-sem", ["agglomerates.placement=random"])]


@pytest.mark.parametrize("preset, overrides", CASES)
def test_no_interpenetration_beyond_tolerance(preset, overrides, assert_no_overlap):
    lay = layout(preset, overrides, seed=3)
    tol = lay.config.agglomerates.overlap_tolerance
    ps = lay.particles
    assert len(ps) > 5
    assert_no_overlap(ps, tol, reach=1.5)
    for p in ps:  # nothing sinks into the substrate or floats
        zmin = p.mesh.vertices[:, 2].min()
        assert zmin >= -tol * p.diameter_nm - 1e-6
    if lay.config.agglomerates.layers == "2d":
        assert all(abs(p.mesh.vertices[:, 2].min()) < 1e-6 for p in ps)


@pytest.mark.parametrize("preset, overrides", [c for c in CASES if "random" not in str(c[1])])
def test_agglomerates_are_connected(preset, overrides):
    lay = layout(preset, overrides, seed=5)
    ps = lay.particles
    n = len(ps)
    adj = np.zeros((n, n), bool)
    for i, p in enumerate(ps):
        for j, q in enumerate(ps):
            if i < j:
                v = q.center_nm - p.center_nm
                u = v / np.linalg.norm(v)
                gap = np.linalg.norm(v) - radius_along(p.radius_fn, u[None])[0] - radius_along(q.radius_fn, -u[None])[0]
                touch = gap < 0.02 * min(p.diameter_nm, q.diameter_nm)
                if not touch and gap < 0.5 * min(p.diameter_nm, q.diameter_nm):  # off the centre line
                    near = cKDTree(q.mesh.vertices).query(p.mesh.vertices)[0].min()
                    touch = near < 0.025 * min(p.diameter_nm, q.diameter_nm)
                adj[i, j] = adj[j, i] = touch
    labels = np.array([p.agglomerate for p in ps])
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        n_comp, _ = connected_components(csr_matrix(adj[np.ix_(idx, idx)]), directed=False)
        assert n_comp == 1, f"agglomerate {k} falls apart"


@pytest.mark.parametrize("preset, overrides", [("tio2-sem", ()), ("sio2-him", ["agglomerates.layers=3d"])])
def test_3d_particles_rest_on_something(preset, overrides):
    """Gravity-like stacking: each particle is on the substrate or touches a particle
    whose centre is lower (it is carried, not glued to a side or floating)."""
    lay = layout(preset, overrides, seed=4)
    ps = lay.particles
    tol = lay.config.agglomerates.overlap_tolerance
    stacked = 0
    for p in ps:
        if p.mesh.vertices[:, 2].min() <= tol * p.diameter_nm:
            continue
        stacked += 1
        carried = False
        for q in ps:
            v = p.center_nm - q.center_nm
            if q is p or v[2] <= 0:
                continue
            u = v / np.linalg.norm(v)
            gap = np.linalg.norm(v) - radius_along(q.radius_fn, u[None])[0] - radius_along(p.radius_fn, -u[None])[0]
            carried |= gap < 0.02 * min(p.diameter_nm, q.diameter_nm)
        assert carried, f"particle {p.id} floats"
    assert 0 < stacked < len(ps)


def test_wires_stay_in_field():
    lay = layout("agnw-sem", seed=2)
    w, h = lay.config.field_nm
    for p in lay.particles:
        r = p.diameter_nm / 2
        xy = p.mesh.vertices[:, :2]
        assert xy.min() >= -r * 1.01 and xy[:, 0].max() <= w + r * 1.01 and xy[:, 1].max() <= h + r * 1.01
        assert p.length_nm > 0
    assert len(lay.particles) == lay.config.particles.count
    assert all(p.agglomerate == -1 for p in lay.particles)
    assert [p.id for p in lay.particles] == list(range(1, len(lay.particles) + 1))


def _axis(p):
    sides = p.radius_fn["sides"]
    return p.mesh.vertices[:-2].reshape(-1, sides, 3).mean(axis=1)


def test_wires_drape_over_earlier_wires():
    """Where a wire crosses an earlier one it is lifted so their axes stay about a
    diameter apart instead of passing through each other."""
    lay = layout("agnw-sem", ["particles.count=30"], seed=7)
    worst = np.inf
    for i, p in enumerate(lay.particles):
        P = _axis(p)
        for q in lay.particles[:i]:
            Q = _axis(q)
            a, ab = Q[:-1], np.diff(Q, axis=0)
            t = np.clip(np.einsum("kij,ij->ki", P[:, None] - a[None], ab) / (ab ** 2).sum(1), 0, 1)
            d = np.linalg.norm(P[:, None] - (a[None] + t[..., None] * ab[None]), axis=2).min()
            worst = min(worst, d / ((p.diameter_nm + q.diameter_nm) / 2))
    assert worst > 0.9
    assert max(p.mesh.vertices[:, 2].max() for p in lay.particles) > 2 * min(p.diameter_nm for p in lay.particles)


def test_same_seed_same_layout():
    small = ["image.width_px=160", "image.height_px=160"]
    a, b, c = (layout("tio2-sem", small, seed=s) for s in (11, 11, 12))
    assert [p.radius_fn for p in a.particles] == [p.radius_fn for p in b.particles]
    assert all(np.array_equal(p.mesh.vertices, q.mesh.vertices) for p, q in zip(a.particles, b.particles))
    assert not np.array_equal(a.particles[0].mesh.vertices, c.particles[0].mesh.vertices)


def test_seed_zero_is_valid():
    assert len(layout("sio2-him", seed=0).particles) > 0


def test_too_many_particles_is_a_config_error():
    with pytest.raises(ConfigError, match="particles.count"):
        layout("sio2-him", ["particles.count=3000", "image.width_px=64", "image.height_px=64",
                            "agglomerates.max_tries=20", "particles.mesh_subdivisions=1"])
    with pytest.raises(ConfigError, match="particles.count"):
        layout("sio2-him", ["particles.count=500", "image.width_px=64", "image.height_px=64",
                            "agglomerates.placement=random", "particles.mesh_subdivisions=1"])


def test_coverage_sets_the_count():
    lay = layout("sio2-him", ["particles.coverage=0.2"], seed=1)
    lay2 = layout("sio2-him", ["particles.coverage=0.4"], seed=1)
    assert 1.6 < len(lay2.particles) / len(lay.particles) < 2.4


def test_power_cluster_sizes_and_coverage_range():
    """Many single particles beside a few large clusters, and per-image coverage that
    spans the configured range (real fields of view go from sparse to crowded)."""
    from dgan_blender.geometry.placement import cluster_sizes
    cfg = load_config("tio2-sem", ["agglomerates.sizes=power", "agglomerates.size_exponent=1.6",
                                   "agglomerates.max_size=40"])
    rng = np.random.default_rng(0)
    sizes = np.concatenate([cluster_sizes(cfg.agglomerates, 500, rng) for _ in range(20)])
    assert sizes.min() >= 1 and sizes.max() <= 40
    assert (sizes == 1).mean() > 0.35 and (sizes >= 10).any()
    assert all(cluster_sizes(cfg.agglomerates, n, rng).sum() == n for n in (1, 7, 33))
    counts = [len(layout("tio2-sem", ["particles.coverage=0.03", "particles.coverage_max=0.3"], seed=s).particles)
              for s in range(6)]
    assert max(counts) > 2.5 * min(counts)
    with pytest.raises(ConfigError, match="coverage_max"):
        load_config("tio2-sem", ["particles.coverage=0.2", "particles.coverage_max=0.1"])
