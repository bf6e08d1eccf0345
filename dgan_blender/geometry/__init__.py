"""Blender-free scene geometry: sizes, particle meshes, placement, wires -> a Layout."""

from __future__ import annotations

import numpy as np

from ..config import SceneConfig
from ..distributions import mean_size, mean_square, sample_sizes
from ..errors import ConfigError
from ..layout import Layout, Particle
from .meshes import irregular_fn, particle_meshes, translated, tube_mesh
from .placement import Body, Packer, place_agglomerates, place_random
from .wires import centreline, drape

__all__ = ["generate_layout", "particle_count"]


def particle_count(cfg: SceneConfig, coverage: float | None = None) -> int:
    """``particles.count``, or the count whose mean projected area gives ``coverage``
    (default ``particles.coverage``)."""
    p = cfg.particles
    if p.count > 0:
        return p.count
    cov = p.coverage if coverage is None else coverage
    w, h = cfg.field_nm
    if p.kind == "wire":
        mean_len, mean_d = mean_size(cfg.wires.length), mean_size(p.diameter)
        return max(1, int(round(cov * w * h / (mean_len * mean_d))))
    area = np.pi / 4.0 * mean_square(p.diameter)
    return max(1, int(round(cov * w * h / area)))


def draw_coverage(cfg: SceneConfig, rng: np.random.Generator) -> float:
    """This image's coverage: log-uniform in coverage..coverage_max where that is set."""
    p = cfg.particles
    if p.count > 0 or p.coverage_max <= p.coverage:
        return p.coverage
    return float(np.exp(rng.uniform(np.log(p.coverage), np.log(p.coverage_max))))


def generate_layout(cfg: SceneConfig, rng: np.random.Generator, seed: int, coverage: float | None = None) -> Layout:
    """Every random choice comes from ``rng``: the same seed gives the same layout.
    ``coverage`` replaces the drawn coverage (the fit matches layouts to real images)."""
    n = particle_count(cfg, draw_coverage(cfg, rng) if coverage is None else coverage)
    if n > 20000:
        raise ConfigError(f"particles.count: {n} particles is more than 20000; lower particles.count/coverage")
    if cfg.particles.kind == "wire":
        return Layout(cfg, seed, _wires(cfg, n, rng))
    diameters = np.sort(sample_sizes(cfg.particles.diameter, n, rng))[::-1]  # big ones first pack best
    p = cfg.particles
    fns = [{"type": "sphere", "scale": 1.0} if p.kind == "sphere" else
           irregular_fn(rng, rng.uniform(p.elongation_min, p.elongation_max), p.facets,
                        p.facet_depth, p.roughness, p.roughness_lobes) for _ in diameters]
    meshes, fns, reach = particle_meshes(fns, diameters, p.mesh_subdivisions)
    bodies = [Body.of(fn, float(d), m.vertices, r) for fn, d, m, r in zip(fns, diameters, meshes, reach)]
    order = rng.permutation(n) if cfg.agglomerates.placement == "random" else np.arange(n)
    bodies = [bodies[i] for i in order]
    meshes = [meshes[i] for i in order]
    diameters = diameters[order]
    packer = Packer(cfg)
    if cfg.agglomerates.placement == "contact" and (cfg.agglomerates.count > 0 or cfg.agglomerates.sizes == "power"):
        perm = rng.permutation(n)  # mix sizes across clusters
        labels_perm = place_agglomerates(packer, [bodies[i] for i in perm], rng)
        labels = [0] * n
        for pos, i in enumerate(perm):
            labels[i] = labels_perm[pos]
    else:
        labels = place_random(packer, bodies, rng)
    particles = [
        Particle(id=i + 1, kind=p.kind, center_nm=b.centre.copy(), diameter_nm=float(diameters[i]),
                 mesh=translated(meshes[i], b.centre), agglomerate=int(labels[i]), radius_fn=b.fn)
        for i, b in enumerate(bodies)
    ]
    return Layout(cfg, seed, particles)


def _wires(cfg: SceneConfig, n: int, rng: np.random.Generator) -> list[Particle]:
    diam = sample_sizes(cfg.particles.diameter, n, rng)
    lengths = sample_sizes(cfg.wires.length, n, rng)
    w, h = cfg.field_nm
    earlier: list[tuple[np.ndarray, float]] = []
    out = []
    for i in range(n):
        r = float(diam[i]) / 2.0
        length = float(min(lengths[i], 0.95 * (w + h)))
        xy = centreline(length, cfg, rng, margin=r)
        pts = np.column_stack([xy, drape(xy, r, earlier)])
        earlier.append((pts, r))
        mesh = tube_mesh(pts, r, cfg.wires.sides)
        true_len = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
        out.append(Particle(id=i + 1, kind="wire", center_nm=pts.mean(axis=0), diameter_nm=2 * r,
                            mesh=mesh, agglomerate=-1, length_nm=true_len,
                            radius_fn={"type": "wire", "sides": cfg.wires.sides}))
    return out
