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
from .meshes import RadialFn, icosphere, radius_along, radius_along_rows

_PROBE_DIRS = icosphere(3)[0]  # 642 directions for overlap tests
_JITTER = 0.06 * icosphere(1)[0]  # refinement offsets around the deepest probe


@dataclass
class Body:
    fn: dict
    rmax: float
    bottom: float  # distance from centre to the lowest point (positive)
    diameter: float
    rmin: float = 0.0
    rf: RadialFn | None = None
    centre: np.ndarray | None = None
    probes: np.ndarray | None = None  # surface points relative to the centre

    @classmethod
    def of(cls, fn: dict, diameter: float, vertices: np.ndarray) -> "Body":
        """``vertices``: the mesh about its centre; its lowest point rests on z = 0."""
        rf = RadialFn(fn)
        probes = _PROBE_DIRS * radius_along(rf, _PROBE_DIRS)[:, None]
        r = np.linalg.norm(vertices, axis=1)
        # inner radius a little under the sampled minimum: surfaces dip between vertices
        return cls(fn, float(r.max()), float(-vertices[:, 2].min()), diameter,
                   0.97 * float(min(r.min(), np.linalg.norm(probes, axis=1).min())), rf, None, probes)


def penetration(a: Body, ca: np.ndarray, b: Body, cb: np.ndarray) -> float:
    """How deep (nm) the surface of either body reaches into the other: probes all
    over the surface, then a finer look around the deepest one (contacts of elongated,
    faceted bodies are narrow and fall between coarse probes)."""
    depth = 0.0
    for p, cp, q, cq in ((a, ca, b, cb), (b, cb, a, ca)):
        towards = cq - cp
        towards = towards / max(np.linalg.norm(towards), 1e-9)  # the deepest point of convex pairs
        dirs_p = np.vstack([_PROBE_DIRS, towards])
        pts = np.vstack([p.probes, towards * radius_along(p.rf, towards[None])[0]]) + cp - cq
        dist = np.linalg.norm(pts, axis=1)
        excess = radius_along(q.rf, pts / np.maximum(dist[:, None], 1e-9)) - dist
        k = int(np.argmax(excess))
        fine = dirs_p[k] + _JITTER
        fine /= np.linalg.norm(fine, axis=1, keepdims=True)
        pts = fine * radius_along(p.rf, fine)[:, None] + cp - cq
        dist = np.linalg.norm(pts, axis=1)
        fine_excess = radius_along(q.rf, pts / np.maximum(dist[:, None], 1e-9)) - dist
        depth = max(depth, float(excess[k]), float(fine_excess.max()))
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
        self._rmin = np.zeros(0)
        self._diam = np.zeros(0)

    def fits(self, body: Body, c: np.ndarray, ignore: int = -1) -> bool:
        if not (0.0 <= c[0] <= self.w and 0.0 <= c[1] <= self.h):
            return False
        if c[2] - body.bottom < -self.tol * body.diameter:
            return False
        if not len(self.placed):
            return True
        dist = np.linalg.norm(self._centres - c, axis=1)
        slack = self.tol * np.minimum(body.diameter, self._diam)
        if (dist < self._rmin + body.rmin - slack).any():  # inner spheres overlap: no need to look
            return False
        near = np.flatnonzero(dist < self._rmax + body.rmax)
        for k in near[np.argsort(dist[near])]:
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
        self._rmin = np.append(self._rmin, body.rmin)
        self._diam = np.append(self._diam, body.diameter)
        return len(self.placed) - 1


def _resting_contact(anchor: Body, body: Body, phi: np.ndarray) -> np.ndarray:
    """Centres (B, 3) touching ``anchor`` along azimuths ``phi`` while resting on the
    substrate (NaN rows: no such contact): the centre height is fixed, the horizontal
    distance is solved by fixed-point steps on the centre-line contact distance."""
    phi = np.atleast_1d(np.asarray(phi, float))
    z = body.bottom
    dz = z - anchor.centre[2]
    horiz = np.column_stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)])
    t = np.full(len(phi), anchor.rmax + body.rmax)
    ok = np.ones(len(phi), bool)
    for _ in range(6):
        v = t[:, None] * horiz
        v[:, 2] = dz
        u = v / np.linalg.norm(v, axis=1, keepdims=True)
        d = radius_along(anchor.rf, u) + radius_along(body.rf, -u)
        ok &= d > abs(dz)
        t = np.sqrt(np.maximum(d * d - dz * dz, 0.0))
    c = anchor.centre + t[:, None] * horiz
    c[:, 2] = z
    c[~ok] = np.nan
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
    sizes = cluster_sizes(a, len(bodies), rng)
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
                    else:  # many small clusters: anywhere, cut by the frame as in real fields
                        m = 0.0 if a.sizes == "power" else 0.1
                        xy = rng.uniform([m * packer.w, m * packer.h], [(1 - m) * packer.w, (1 - m) * packer.h])
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


def cluster_sizes(a, n: int, rng: np.random.Generator) -> np.ndarray:
    """Particles per agglomerate, summing to ``n`` (see AgglomerateConfig.sizes)."""
    if a.sizes == "power":
        k = np.arange(1, a.max_size + 1)
        prob = k ** -float(a.size_exponent)
        prob /= prob.sum()
        out: list[int] = []
        total = 0
        while total < n:
            out.append(int(rng.choice(k, p=prob)))
            total += out[-1]
        out[-1] -= total - n
        return np.array(out)
    n_clusters = max(1, min(a.count, n))
    return 1 + rng.multinomial(n - n_clusters, np.full(n_clusters, 1.0 / n_clusters))


def _attach(packer: Packer, members: list[int], body: Body, rng: np.random.Generator,
            batch: int = 16) -> np.ndarray:
    """Candidates come in batches around one anchor each; they are scored first and
    tested for overlap best-first, so the expensive test runs on few of them."""
    a = packer.cfg.agglomerates
    centroid = packer._centres[members].mean(axis=0)
    scale = max(packer._rmax[members].mean(), 1e-9)
    member_set = np.zeros(len(packer.placed), bool)
    member_set[members] = True
    best, best_score, found, tried = None, np.inf, 0, 0
    while tried < a.max_tries and found < 3:
        anchor = packer.placed[members[rng.integers(len(members))]]
        phi = rng.uniform(0, 2 * np.pi, batch)
        cand = _resting_contact(anchor, body, phi)
        if a.layers == "3d":
            s = rng.uniform(0, 1, batch)[:, None]
            xy = anchor.centre[:2] + s * (anchor.rmax + body.rmax) * np.column_stack([np.cos(phi), np.sin(phi)])
            dropped, support = _drop(packer, body, xy)
            on_member = (support >= 0) & member_set[np.maximum(support, 0)]
            cand[on_member] = dropped[on_member]  # else: landed beside the cluster, settle on the anchor
        tried += batch
        dist = np.linalg.norm((cand - centroid)[:, :2], axis=1) / scale
        score = a.compactness * dist + (1 - a.compactness) * rng.uniform(0, 3, batch)
        score += 0.7 * (cand[:, 2] - body.bottom) / scale  # gravity: low places first
        score[np.isnan(score)] = np.inf
        for k in np.argsort(score):
            if not np.isfinite(score[k]) or score[k] >= best_score:
                break
            if packer.fits(body, cand[k]):
                best, best_score = cand[k], score[k]
                found += 1
                break
    if best is None:
        raise _cannot_pack(packer.cfg)
    return best


def _drop(packer: Packer, body: Body, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower ``body`` vertically at each of ``xy`` (B, 2) until it rests on the
    substrate or on the highest particle beneath it (support index, -1: substrate), so
    stacked particles are always carried by something rather than floating."""
    z = np.full(len(xy), body.bottom)
    support = np.full(len(xy), -1)
    dxy = np.linalg.norm(packer._centres[None, :, :2] - xy[:, None, :], axis=2)
    reach = dxy < packer._rmax[None, :] + body.rmax
    ks = np.flatnonzero(reach.any(axis=0))
    if not len(ks):
        return np.column_stack([xy, z]), support
    rows, col = np.nonzero(reach[:, ks])  # every (candidate, particle within reach) pair
    zk = _stack_height([packer.placed[k] for k in ks], col, body, xy[rows], dxy[rows, ks[col]])
    # per candidate the highest contact; on a tie the lowest particle index
    order = np.lexsort((col, -zk, rows))
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
    r, up = rows[first], zk[first] > z[rows[first]]
    z[r[up]], support[r[up]] = zk[first][up], ks[col[first][up]]
    return np.column_stack([xy, z]), support


def _stack_height(others: list[Body], which: np.ndarray, body: Body, xy: np.ndarray,
                  dxy: np.ndarray) -> np.ndarray:
    """Centre heights at which ``body`` above ``xy[i]`` touches ``others[which[i]]`` from
    above (fixed point on the centre-line contact distance; -inf: no contact). All
    pairs in one evaluation: placement spends most of its time here."""
    oc = np.array([o.centre for o in others])[which]
    rmax = np.array([o.rmax for o in others])[which]
    fns = [o.rf for o in others]
    z = oc[:, 2] + np.sqrt(np.maximum((rmax + body.rmax) ** 2 - dxy * dxy, 0.0))
    miss = np.zeros(len(xy), bool)
    for _ in range(6):
        v = np.column_stack([xy - oc[:, :2], z - oc[:, 2]])
        u = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        d = radius_along_rows(fns, which, u) + radius_along(body.rf, -u)
        miss |= d <= dxy
        z = oc[:, 2] + np.sqrt(np.maximum(d * d - dxy * dxy, 0.0))
    z[miss] = -np.inf
    return z


def _cannot_pack(cfg: SceneConfig) -> ConfigError:
    w, h = cfg.field_nm
    what = f"particles.count={cfg.particles.count}" if cfg.particles.count else f"particles.coverage={cfg.particles.coverage}"
    return ConfigError(f"{what}: cannot pack this many particles into the {w:.0f}x{h:.0f} nm field; "
                       "lower particles.count/coverage or enlarge image.width_px/height_px")
