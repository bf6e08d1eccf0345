"""Blender-free scene geometry: sizes, particle meshes, placement, wires -> a Layout."""

from __future__ import annotations

import numpy as np

from ..config import SceneConfig
from ..distributions import mean_size, mean_square, sample_sizes
from ..errors import ConfigError
from ..layout import Layout, Particle
from .meshes import particle_meshes, translated, tube_mesh
from .placement import Body, Packer, place_agglomerates, place_random
from .shapes import shape_fn
from .wires import centreline, drape

__all__ = ["MAX_PARTICLES", "PackingError", "check_particle_limit", "generate_layout", "particle_count"]

MAX_PARTICLES = 20000


class PackingError(ConfigError):
    """This draw's particles did not fit the field. Unlike other configuration errors a
    single failure says little about the configuration (another draw of the same
    settings usually packs), so a data set redraws the layout and only a configuration
    that fails for most draws is refused (see :mod:`dgan_blender.dataset.preflight`)."""

    def __init__(self, message: str, what: str = "", n: int = 0):
        super().__init__(message)
        self.what = what  # e.g. "particles.coverage=0.23", the value this draw used
        self.n = n


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
    cov = draw_coverage(cfg, rng) if coverage is None else coverage
    n = particle_count(cfg, cov)
    if n > MAX_PARTICLES:
        raise ConfigError(f"particles.count: {n} particles is more than {MAX_PARTICLES}; lower particles.count/coverage")
    if cfg.particles.kind == "wire":
        return Layout(cfg, seed, _wires(cfg, n, rng))
    diameters = np.sort(sample_sizes(cfg.particles.diameter, n, rng))[::-1]  # big ones first pack best
    p = cfg.particles
    fns = [{"type": "sphere", "scale": 1.0} if p.kind == "sphere" else shape_fn(p.shape, rng, p)
           for _ in diameters]
    meshes, fns, reach = particle_meshes(fns, diameters, p.mesh_subdivisions)
    bodies = [Body.of(fn, float(d), m.vertices, r) for fn, d, m, r in zip(fns, diameters, meshes, reach)]
    order = rng.permutation(n) if cfg.agglomerates.placement == "random" else np.arange(n)
    bodies = [bodies[i] for i in order]
    meshes = [meshes[i] for i in order]
    diameters = diameters[order]
    packer = Packer(cfg)
    try:
        if cfg.agglomerates.placement == "contact" and (cfg.agglomerates.count > 0 or cfg.agglomerates.sizes == "power"):
            perm = rng.permutation(n)  # mix sizes across clusters
            labels_perm = place_agglomerates(packer, [bodies[i] for i in perm], rng)
            labels = [0] * n
            for pos, i in enumerate(perm):
                labels[i] = labels_perm[pos]
        else:
            labels = place_random(packer, bodies, rng)
    except ConfigError:  # placement names the configured value, not this draw's
        raise _packing_error(cfg, cov, n) from None
    particles = [
        Particle(id=i + 1, kind=p.kind, center_nm=b.centre.copy(), diameter_nm=float(diameters[i]),
                 mesh=translated(meshes[i], b.centre), agglomerate=int(labels[i]), radius_fn=b.fn)
        for i, b in enumerate(bodies)
    ]
    return Layout(cfg, seed, particles)


def _drawn(cfg: SceneConfig, coverage: float) -> str:
    p = cfg.particles
    return f"particles.count={p.count}" if p.count > 0 else f"particles.coverage={coverage:.3g}"


def _packing_error(cfg: SceneConfig, coverage: float, n: int) -> PackingError:
    w, h = cfg.field_nm
    what = _drawn(cfg, coverage)
    return PackingError(f"{what} ({n} particles): cannot pack them into the {w:.0f}x{h:.0f} nm field; "
                        "lower particles.count/coverage/coverage_max or enlarge image.width_px/height_px",
                        what, n)


def check_particle_limit(cfg: SceneConfig) -> None:
    """The particle-count ceiling at the top of the coverage range, checked once before a
    job instead of per sample."""
    p = cfg.particles
    top = max(p.coverage, p.coverage_max) if p.count <= 0 else None
    n = particle_count(cfg, top)
    if n > MAX_PARTICLES:
        field = "particles.count" if p.count > 0 else (
            "particles.coverage_max" if p.coverage_max > p.coverage else "particles.coverage")
        value = str(p.count) if p.count > 0 else f"{top:g}"
        raise ConfigError(f"{field}={value}: {n} particles is more than {MAX_PARTICLES}; lower {field}")


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
