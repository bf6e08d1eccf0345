"""Where particles go: contact-packed agglomerates (2-D monolayers or 3-D stacks) or
random non-overlapping placement, all resting on the substrate (z = 0).

Each particle is a star-shaped solid known through ``radius_along``; contact along the
centre line is exact for it, and a vertex test bounds interpenetration elsewhere.

The work is batched (many candidates, pairs and fixed-point steps per numpy call) for
speed, but every value is the one the original one-at-a-time code computed, to the
bit, and the random draws come in the same order: a seed's layouts do not change
(tests/core/test_layout_identity.py). Where numba is present the overlap tests, drops,
side contacts and steering run as compiled kernels instead (compiled.py, kernels.py):
the same decisions, values within the last bits (tests/geometry/test_compiled.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import SceneConfig
from ..errors import ConfigError
from . import compiled
from .meshes import RadialFn, radius_along, radius_by_fn, radius_groups, row_norms
from .overlap import PROBE_DIRS, distinct_bodies, penetration, too_deep  # noqa: F401  (penetration lived here)
from .shapes import SHARP, corners
from .stacking import SideReach, _drop

_AHEAD = 16  # candidate batches made in one pass when attaching
_AHEAD_SHARP = 1  # the same for flat-faced bodies (see _push_out)
_PUSH_STEPS = 8  # pushes, then halvings of the gap an overshoot left (6 left gaps of a few nm)
_STEER = 162  # probes that steer a push: icosphere(2)'s directions, the first of PROBE_DIRS
_TEST_NEXT = 1  # further candidates of the same batch tested along with the one asked for
_TEST_AHEAD = 2  # later batches whose next candidate is tested along with the one asked for
# the compiled kernels cost little per call beyond their work, so they batch less: fewer
# batches made ahead, and no candidate tested on speculation (~10 % faster; same layouts)
_AHEAD_COMPILED = 4


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
    probe_radii: np.ndarray | None = None  # the probes' distances from the centre
    steer: np.ndarray | None = None  # flat-faced bodies: points that steer pushes (see _push_out)

    @classmethod
    def of(cls, fn: dict, diameter: float, vertices: np.ndarray, unit_reach: np.ndarray | None = None) -> "Body":
        """``vertices``: the mesh about its centre; its lowest point rests on z = 0.
        ``unit_reach``: the reach at scale 1 along the first directions of an
        icosphere of level >= 3 (from ``particle_meshes``), which saves evaluating it."""
        rf = RadialFn(fn)
        if unit_reach is not None and len(unit_reach) >= len(PROBE_DIRS):
            reach = unit_reach[:len(PROBE_DIRS)] * rf.scale  # what radius_along gives: the unit reach, scaled
        else:
            reach = radius_along(rf, PROBE_DIRS)
        probes = PROBE_DIRS * reach[:, None]
        r = np.linalg.norm(vertices, axis=1)
        pr = np.linalg.norm(probes, axis=1)
        # inner radius a little under the sampled minimum: surfaces dip between vertices
        steer = None
        if fn.get("shape") in SHARP:  # a coarse look at the faces, and every corner
            steer = np.vstack([probes[:_STEER], corners(fn)])
        return cls(fn, float(r.max()), float(-vertices[:, 2].min()), diameter,
                   0.97 * float(min(r.min(), pr.min())), rf, None, probes, pr, steer)


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
        return bool(self.fits_many(body, np.asarray(c, float)[None])[0])

    def fits_many(self, body: Body, cands: np.ndarray) -> np.ndarray:
        """``fits(body, c)`` for each row of ``cands`` (N, 3), all pairs in one pass."""
        if compiled.ENABLED:
            return compiled.fits_many(self, body, cands)
        ok, dist = self._plainly(body, cands)
        if dist is None:
            return ok
        cand, other = np.nonzero((dist < self._rmax + body.rmax) & ok[:, None])
        if len(cand):
            allowed = self.tol * np.minimum(body.diameter, self._diam[other]) + 1e-9
            deep = too_deep(body, cands[cand], [self.placed[k] for k in other], self._centres[other], allowed,
                             cand)
            ok[cand[deep]] = False
        return ok

    def plainly_out(self, body: Body, cands: np.ndarray) -> np.ndarray:
        """Candidates that fail the cheap part of ``fits`` (outside the field, under the
        substrate, inner spheres overlapping)."""
        if compiled.ENABLED:
            return compiled.plainly_out(self, body, cands)
        return ~self._plainly(body, cands)[0]

    def _plainly(self, body: Body, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        x, y, z = cands[:, 0], cands[:, 1], cands[:, 2]
        ok = (0.0 <= x) & (x <= self.w) & (0.0 <= y) & (y <= self.h)
        ok &= ~(z - body.bottom < -self.tol * body.diameter)
        if not len(self.placed) or not ok.any():
            return ok, None
        dist = row_norms(self._centres[None, :, :] - cands[:, None, :])
        slack = self.tol * np.minimum(body.diameter, self._diam)
        ok &= ~(dist < self._rmin + body.rmin - slack).any(axis=1)  # inner spheres overlap: no need to look
        return ok, dist

    def add(self, body: Body, c: np.ndarray) -> int:
        body.centre = np.asarray(c, float)
        self.placed.append(body)
        self._centres = np.vstack([self._centres, body.centre])
        self._rmax = np.append(self._rmax, body.rmax)
        self._rmin = np.append(self._rmin, body.rmin)
        self._diam = np.append(self._diam, body.diameter)
        return len(self.placed) - 1


def _resting_contact(anchors: list[Body], body: Body, phi: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Centres touching ``anchors[r]`` along azimuths ``phi[r]`` (R, B) while resting on
    the substrate (NaN rows: no such contact): the centre height is fixed, the
    horizontal distance is solved by fixed-point steps on the centre-line contact
    distance. (R * B, 3), or (len(rows), 3) for the flat indices ``rows`` only; every
    one gets the bits a call per batch (B >= 2 directions per product) would give."""
    rounds, b = phi.shape
    rnd = np.repeat(np.arange(rounds), b)
    phi = phi.ravel()
    if rows is not None:
        rnd, phi = rnd[rows], phi[rows]
    z = body.bottom
    ac = np.array([a.centre for a in anchors])[rnd]
    dz = z - ac[:, 2]
    horiz = np.column_stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)])
    t = np.array([a.rmax + body.rmax for a in anchors])[rnd]
    ok = np.ones(len(phi), bool)
    distinct, idx = distinct_bodies(anchors)
    both = SideReach([a.rf for a in distinct], idx[rnd], body.rf) if b > 1 else None
    for _ in range(6):
        v = t[:, None] * horiz
        v[:, 2] = dz
        u = v / row_norms(v, keepdims=True)
        if b > 1:  # many-row products, whichever rows share them
            d = both.at(u)  # radius_by_fn(fns, which, u) + radius_by_fn([body.rf], 0, -u), in one pass
        else:
            d = (radius_groups([a.rf for a in anchors], u[:, None]) + radius_groups(body.rf, -u[:, None])).ravel()
        ok &= d > np.abs(dz)
        t = np.sqrt(np.maximum(d * d - dz * dz, 0.0))
    c = ac + t[:, None] * horiz
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
    labels: list[int] = []
    strays = len(sizes)  # labels of particles that could not join their cluster
    cursor = 0
    for k, size in enumerate(sizes):
        members: list[int] = []
        group = bodies[cursor:cursor + size]
        cursor += size
        for j, body in enumerate(group):
            if j == 0:
                c = _first_spot(packer, body, rng, a.spread_nm)
            else:
                try:
                    c = _attach(packer, members, body, rng)
                except ConfigError:
                    # nowhere on this cluster (a small body under a standing rod, a big one
                    # whose every contact crosses the frame): it lies on its own, so the
                    # image keeps its coverage rather than the whole draw failing
                    packer.add(body, _stray(packer, body, rng))
                    labels.append(strays)
                    strays += 1
                    continue
            members.append(packer.add(body, c))
            labels.append(k)
    return labels


def _stray(packer: Packer, body: Body, rng: np.random.Generator) -> np.ndarray:
    """Where a particle that could not join its cluster rests: anywhere it fits."""
    return _first_spot(packer, body, rng, 0.0)


def _first_spot(packer: Packer, body: Body, rng: np.random.Generator, spread_nm: float) -> np.ndarray:
    """Where a cluster's first particle rests: within ``spread_nm`` of the field's centre,
    or (0) anywhere, cut by the frame as in real fields."""
    a = packer.cfg.agglomerates
    cx, cy = packer.w / 2, packer.h / 2
    for _ in range(a.max_tries):
        if spread_nm > 0:
            r, t = spread_nm * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
            xy = np.array([cx + r * np.cos(t), cy + r * np.sin(t)])
        else:  # many small clusters: anywhere
            m = 0.0 if a.sizes == "power" else 0.1
            xy = rng.uniform([m * packer.w, m * packer.h], [(1 - m) * packer.w, (1 - m) * packer.h])
        c = np.array([xy[0], xy[1], body.bottom])
        if packer.fits(body, c):
            return c
    raise _cannot_pack(packer.cfg)


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
    tested for overlap best-first, so the expensive test runs on few of them.

    A batch's random draws do not depend on how earlier batches fared, so several
    batches are drawn ahead (the generator's state noted after each) and their
    candidates made in one pass; when the search stops early the generator goes back
    to where it would have stopped, so every later draw is as if drawn one by one."""
    a = packer.cfg.agglomerates
    centroid = packer._centres[members].mean(axis=0)
    scale = max(packer._rmax[members].mean(), 1e-9)
    member_set = np.zeros(len(packer.placed), bool)
    member_set[members] = True
    best, best_score, found, tried = None, np.inf, 0, 0
    while tried < a.max_tries and found < 3:
        # sharp bodies' candidates cost a push each
        ahead = _AHEAD_SHARP if _sharp(body) else _AHEAD_COMPILED if compiled.ENABLED else _AHEAD
        rounds = min(ahead, -(-(a.max_tries - tried) // batch))
        anchors, phi, s, noise, states = [], [], [], [], []
        for _ in range(rounds):  # the draws of each batch, in the order one batch makes them
            anchors.append(packer.placed[members[rng.integers(len(members))]])
            phi.append(rng.uniform(0, 2 * np.pi, batch))
            if a.layers == "3d":
                s.append(rng.uniform(0, 1, batch))
            noise.append(rng.uniform(0, 3, batch))
            states.append(rng.bit_generator.state)
        cand, score = _scored(packer, body, anchors, np.array(phi), np.array(s), np.array(noise),
                              member_set, centroid, scale)
        order = [np.argsort(score[i]) for i in range(rounds)]
        known = np.zeros((rounds, batch), np.int8)  # overlap test: 0 not yet made, 1 fits, -1 not
        known[packer.plainly_out(body, cand.reshape(-1, 3)).reshape(rounds, batch)] = -1
        for i in range(rounds):
            tried += batch
            for k in order[i]:
                if not np.isfinite(score[i, k]) or score[i, k] >= best_score:
                    break
                if not known[i, k]:
                    _test_ahead(packer, body, cand, score, order, known, i, k, best_score)
                if known[i, k] > 0:
                    best, best_score = cand[i, k], score[i, k]
                    found += 1
                    break
            if not (tried < a.max_tries and found < 3):
                rng.bit_generator.state = states[i]  # undraw the batches not looked at
                break
    if best is None:
        raise _cannot_pack(packer.cfg)
    return best


def _test_ahead(packer: Packer, body: Body, cand: np.ndarray, score: np.ndarray, order: list[np.ndarray],
                known: np.ndarray, i: int, k: int, best_score: float) -> None:
    """Test candidate k of batch i, and with it the candidate each later batch would
    test next if the search gets there (its best one not yet known not to fit, when
    it may still beat ``best_score``): one overlap pass instead of one per batch."""
    want = [(i, k)]
    more = [kk for kk in order[i] if not known[i, kk] and kk != k and score[i, kk] < best_score]
    test_next, test_ahead = (0, 0) if compiled.ENABLED else (_TEST_NEXT, _TEST_AHEAD)
    want += [(i, kk) for kk in more[:test_next]]
    for j in range(i + 1, min(len(order), i + 1 + test_ahead)):
        for kk in order[j]:
            if not np.isfinite(score[j, kk]) or score[j, kk] >= best_score or known[j, kk] > 0:
                break
            if not known[j, kk]:
                want.append((j, kk))
                break
    rows, cols = np.array(want).T
    known[rows, cols] = np.where(packer.fits_many(body, cand[rows, cols]), 1, -1)


def _scored(packer: Packer, body: Body, anchors: list[Body], phi: np.ndarray, s: np.ndarray,
            noise: np.ndarray, member_set: np.ndarray, centroid: np.ndarray,
            scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate centres (R, B, 3) and scores (R, B) of R batches (batch r around
    ``anchors[r]``): nearest the cluster's centre (``compactness``) and, in 3-D, lowest."""
    a = packer.cfg.agglomerates
    rounds, batch = phi.shape
    if a.layers == "3d":
        reach = np.repeat([o.rmax + body.rmax for o in anchors], batch)
        ac = np.repeat(np.array([o.centre[:2] for o in anchors]), batch, axis=0)
        p = phi.ravel()
        xy = ac + s.reshape(-1, 1) * reach[:, None] * np.column_stack([np.cos(p), np.sin(p)])
        cand, support = compiled.drop(packer, body, xy) if compiled.ENABLED else _drop(packer, body, xy, rounds)
        beside = np.flatnonzero(~((support >= 0) & member_set[np.maximum(support, 0)]))
        if len(beside):  # landed beside the cluster: settle on the anchor instead
            cand[beside] = _contact(packer, anchors, body, phi, beside)
    else:
        cand = _contact(packer, anchors, body, phi)
        support = np.full(len(cand), -1)
        beside = np.arange(len(cand))
    if _sharp(body) or any(_sharp(o) for o in anchors):
        _push_out(packer, body, cand, anchors, batch, support, beside)
    dist = row_norms((cand - centroid)[:, :2]) / scale
    score = a.compactness * dist + (1 - a.compactness) * noise.ravel()
    score += 0.7 * (cand[:, 2] - body.bottom) / scale  # gravity: low places first
    score[np.isnan(score)] = np.inf
    return cand.reshape(rounds, batch, 3), score.reshape(rounds, batch)


def _contact(packer: Packer, anchors: list[Body], body: Body, phi: np.ndarray,
             rows: np.ndarray | None = None) -> np.ndarray:
    """``_resting_contact``, compiled where the kernels are on."""
    if compiled.ENABLED:
        return compiled.resting_contact(packer, anchors, body, phi, rows)
    return _resting_contact(anchors, body, phi, rows)


def _sharp(body: Body) -> bool:
    """Flat-faced: the bodies ``Body.of`` gave steering points."""
    return body.steer is not None


def _push_out(packer: Packer, body: Body, cand: np.ndarray, anchors: list[Body], batch: int,
              support: np.ndarray, beside: np.ndarray) -> None:
    """Move candidates of flat-faced bodies (in place) until they reach into the body
    they rest against by at most half the overlap tolerance. Contact along the centre
    line leaves a rounded body clear elsewhere, but flat faces meeting at an angle
    cross far off that line (a corner of one inside the other), and nearly every such
    candidate would fail the overlap test. Dropped candidates move up from their
    support, the others away from their anchor horizontally, by the measured depth
    (a radial depth: it may overshoot where a corner meets a face at a slant), then
    by halving between the last offset too deep and the first clear one, so the gap
    an overshoot leaves shrinks too."""
    n = len(cand)
    other = [anchors[i // batch] for i in range(n)]
    dropped = support >= 0
    dropped[beside] = False  # settled on the anchor instead
    for i in np.flatnonzero(dropped):
        other[i] = packer.placed[support[i]]
    way = np.zeros((n, 3))
    way[:, 2] = 1.0
    centres = np.array([o.centre for o in other])
    side = cand[beside, :2] - centres[beside, :2]
    way[beside] = np.column_stack([side / np.maximum(row_norms(side, keepdims=True), 1e-12), np.zeros(len(beside))])
    allowed = 0.5 * packer.tol * np.minimum(body.diameter, np.array([o.diameter for o in other]))
    live = np.flatnonzero(np.isfinite(cand).all(axis=1))
    live = live[~packer.plainly_out(body, cand[live])]
    start = cand.copy()
    off, deep, clear = np.zeros(n), np.zeros(n), np.full(n, np.inf)  # offsets: now, known too deep, known clear
    for _ in range(_PUSH_STEPS):
        if not len(live):
            break
        at, near = start[live] + way[live] * off[live, None], [other[i] for i in live]
        d = compiled.steer_depths(packer, body, at, near, centres[live]) if compiled.ENABLED else \
            _steer_depths(body, at, near, centres[live])
        over = d > allowed[live]
        deep[live[over]] = off[live[over]]
        clear[live[~over]] = off[live[~over]]
        pushed = np.isfinite(clear[live]) & (clear[live] > 0)  # pushed clear: halve the gap left
        live = live[over | pushed]
        d = d[over | pushed]
        open_ = ~np.isfinite(clear[live])
        off[live] = np.where(open_, off[live] + d - 0.5 * allowed[live], 0.5 * (deep[live] + clear[live]))
    done = np.isfinite(clear)
    cand[done] = start[done] + way[done] * clear[done, None]
    cand[~done] = start[~done] + way[~done] * off[~done, None]


def _steer_depths(body: Body, at: np.ndarray, others: list[Body], centres: np.ndarray) -> np.ndarray:
    """How deep ``body`` (centres ``at``) and ``others[k]`` reach into each other at
    their steering points (corners and a coarse look at the faces): enough to steer
    a candidate; ``fits`` looks exactly afterwards."""
    k = len(others)
    distinct, idx = distinct_bodies(others)
    mine = _steering(body)
    s = len(mine)
    pts = mine[None] + (at - centres)[:, None, :]
    dist = row_norms(pts)
    one = radius_by_fn([o.rf for o in distinct], np.repeat(idx, s), (pts / dist[..., None]).reshape(-1, 3))
    one = (one.reshape(k, s) - dist).max(axis=1)
    theirs = [_steering(o) for o in distinct]
    two = np.empty(k)
    for j, pts_j in enumerate(theirs):  # bodies differ in their corner counts
        rows = np.flatnonzero(idx == j)
        pts = pts_j[None] + (centres[rows] - at[rows])[:, None, :]
        dist = row_norms(pts)
        r = radius_by_fn([body.rf], np.zeros(dist.size, np.intp), (pts / dist[..., None]).reshape(-1, 3))
        two[rows] = (r.reshape(dist.shape) - dist).max(axis=1)
    return np.maximum(np.maximum(one, two), 0.0)


def _steering(body: Body) -> np.ndarray:
    return body.steer if body.steer is not None else body.probes[:_STEER]


def _cannot_pack(cfg: SceneConfig) -> ConfigError:
    w, h = cfg.field_nm
    what = f"particles.count={cfg.particles.count}" if cfg.particles.count else f"particles.coverage={cfg.particles.coverage}"
    return ConfigError(f"{what}: cannot pack this many particles into the {w:.0f}x{h:.0f} nm field; "
                       "lower particles.count/coverage or enlarge image.width_px/height_px")
