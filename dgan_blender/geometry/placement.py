"""Where particles go: contact-packed agglomerates (2-D monolayers or 3-D stacks) or
random non-overlapping placement, all resting on the substrate (z = 0).

Each particle is a star-shaped solid known through ``radius_along``; contact along the
centre line is exact for it, and a vertex test bounds interpenetration elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import SceneConfig
from ..errors import ConfigError
from .meshes import icosphere, radius_along

_PROBE_DIRS = icosphere(2)[0]  # 162 directions for overlap tests


@dataclass
class Body:
    fn: dict
    rmax: float
    bottom: float  # distance from centre to the lowest point (positive)
    diameter: float
    centre: np.ndarray | None = None
    probes: np.ndarray | None = None  # surface points relative to the centre

    @classmethod
    def of(cls, fn: dict, diameter: float, vertices: np.ndarray) -> "Body":
        """``vertices``: the mesh about its centre; its lowest point rests on z = 0."""
        probes = _PROBE_DIRS * radius_along(fn, _PROBE_DIRS)[:, None]
        return cls(fn, float(np.linalg.norm(vertices, axis=1).max()),
                   float(-vertices[:, 2].min()), diameter, None, probes)


def penetration(a: Body, ca: np.ndarray, b: Body, cb: np.ndarray) -> float:
    """How deep (nm) the surface of either body reaches into the other."""
    depth = 0.0
    for p, cp, q, cq in ((a, ca, b, cb), (b, cb, a, ca)):
        towards = cq - cp
        towards = towards / max(np.linalg.norm(towards), 1e-9)  # the deepest point of convex pairs
        axis_pt = towards * radius_along(p.fn, towards[None])[0]
        pts = np.vstack([p.probes, axis_pt]) + cp - cq
        dist = np.linalg.norm(pts, axis=1)
        dirs = pts / np.maximum(dist[:, None], 1e-9)
        depth = max(depth, float((radius_along(q.fn, dirs) - dist).max()))
    return depth


class Packer:
    """Keeps placed bodies and answers 'does this candidate fit?'."""

    def __init__(self, cfg: SceneConfig):
        self.cfg = cfg
        self.w, self.h = cfg.field_nm
        self.tol = cfg.agglomerates.overlap_tolerance
        self.placed: list[Body] = []
        self._centres = np.zeros((0, 3))
        self._rmax = np.zeros(0)

    def fits(self, body: Body, c: np.ndarray, ignore: int = -1) -> bool:
        if not (0.0 <= c[0] <= self.w and 0.0 <= c[1] <= self.h):
            return False
        if c[2] - body.bottom < -self.tol * body.diameter:
            return False
        if not len(self.placed):
            return True
        near = np.flatnonzero(np.linalg.norm(self._centres - c, axis=1) < self._rmax + body.rmax)
        for k in near:
            other = self.placed[k]
            allowed = self.tol * min(body.diameter, other.diameter)
            if penetration(body, c, other, self._centres[k]) > allowed + 1e-9:
                return False
        return True

    def add(self, body: Body, c: np.ndarray) -> int:
        body.centre = np.asarray(c, float)
        self.placed.append(body)
        self._centres = np.vstack([self._centres, body.centre])
        self._rmax = np.append(self._rmax, body.rmax)
        return len(self.placed) - 1


def _contact_position(anchor: Body, body: Body, u: np.ndarray) -> np.ndarray:
    d = radius_along(anchor.fn, u[None])[0] + radius_along(body.fn, -u[None])[0]
    return anchor.centre + d * u


def _resting_contact(anchor: Body, body: Body, phi: float) -> np.ndarray | None:
    """Touching ``anchor`` along azimuth ``phi`` while resting on the substrate: the
    centre height is fixed, the horizontal distance is solved by fixed-point steps."""
    z = body.bottom
    horiz = np.array([np.cos(phi), np.sin(phi), 0.0])
    t = anchor.rmax + body.rmax
    for _ in range(6):
        c = anchor.centre + t * horiz
        c[2] = z
        v = c - anchor.centre
        u = v / np.linalg.norm(v)
        d = radius_along(anchor.fn, u[None])[0] + radius_along(body.fn, -u[None])[0]
        dz = z - anchor.centre[2]
        if d <= abs(dz):
            return None
        t = np.sqrt(d * d - dz * dz)
    c = anchor.centre + t * horiz
    c[2] = z
    return c


def place_random(packer: Packer, bodies: list[Body], rng: np.random.Generator) -> list[int]:
    tries = packer.cfg.agglomerates.max_tries
    for body in bodies:
        for _ in range(tries * 5):
            c = np.array([rng.uniform(0, packer.w), rng.uniform(0, packer.h), body.bottom])
            if packer.fits(body, c):
                packer.add(body, c)
                break
        else:
            raise _cannot_pack(packer.cfg)
    return [-1] * len(bodies)


def place_agglomerates(packer: Packer, bodies: list[Body], rng: np.random.Generator) -> list[int]:
    """Grow clusters by attaching each particle to one already in its cluster; the best
    of several candidates is the one nearest the cluster's centre (``compactness``) and,
    in 3-D, lowest (particles settle)."""
    a = packer.cfg.agglomerates
    n_clusters = max(1, min(a.count, len(bodies)))
    sizes = 1 + rng.multinomial(len(bodies) - n_clusters, np.full(n_clusters, 1.0 / n_clusters))
    cx, cy = packer.w / 2, packer.h / 2
    labels: list[int] = []
    cursor = 0
    for k, size in enumerate(sizes):
        members: list[int] = []
        group = bodies[cursor:cursor + size]
        cursor += size
        for j, body in enumerate(group):
            if j == 0:
                for _ in range(a.max_tries):
                    if a.spread_nm > 0:
                        r, t = a.spread_nm * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
                        xy = np.array([cx + r * np.cos(t), cy + r * np.sin(t)])
                    else:
                        xy = rng.uniform([0.1 * packer.w, 0.1 * packer.h], [0.9 * packer.w, 0.9 * packer.h])
                    c = np.array([xy[0], xy[1], body.bottom])
                    if packer.fits(body, c):
                        break
                else:
                    raise _cannot_pack(packer.cfg)
            else:
                c = _attach(packer, members, body, rng)
            members.append(packer.add(body, c))
            labels.append(k)
    return labels


def _attach(packer: Packer, members: list[int], body: Body, rng: np.random.Generator) -> np.ndarray:
    a = packer.cfg.agglomerates
    centroid = packer._centres[members].mean(axis=0)
    scale = max(packer._rmax[members].mean(), 1e-9)
    best, best_score = None, np.inf
    n_valid = 0
    for _ in range(a.max_tries):
        anchor = packer.placed[members[rng.integers(len(members))]]
        if a.layers == "2d":
            c = _resting_contact(anchor, body, rng.uniform(0, 2 * np.pi))
        else:
            u = rng.standard_normal(3)
            u[2] = abs(u[2]) * 0.7
            u /= np.linalg.norm(u)
            c = _contact_position(anchor, body, u)
            if c[2] < body.bottom:  # would sink into the substrate: settle next to the anchor
                c = _resting_contact(anchor, body, float(np.arctan2(u[1], u[0])))
        if c is None or not packer.fits(body, c):
            continue
        n_valid += 1
        dist = np.linalg.norm((c - centroid)[:2]) / scale
        score = a.compactness * dist + (1 - a.compactness) * rng.uniform(0, 3)
        if a.layers == "3d":
            score += 0.5 * (c[2] - body.bottom) / scale
        if score < best_score:
            best, best_score = c, score
        if n_valid >= 12:
            break
    if best is None:
        raise _cannot_pack(packer.cfg)
    return best


def _cannot_pack(cfg: SceneConfig) -> ConfigError:
    w, h = cfg.field_nm
    what = f"particles.count={cfg.particles.count}" if cfg.particles.count else f"particles.coverage={cfg.particles.coverage}"
    return ConfigError(f"{what}: cannot pack this many particles into the {w:.0f}x{h:.0f} nm field; "
                       "lower particles.count/coverage or enlarge image.width_px/height_px")
