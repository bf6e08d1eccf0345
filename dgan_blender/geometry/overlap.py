"""Overlap tests between star-shaped bodies, many pairs at a time.

How deep the surface of one body reaches into another is measured at probes all over
it, then more finely around the deepest probe. The values are, to the bit, those of
the original one-pair-at-a-time routine (layouts of a seed must not move): every
product of directions with a body's matrix is made as that routine made it (BLAS
rounds one-row products differently from many-row ones, and many-row ones alike
whatever their count), everything else element-wise. Probes that provably cannot be
the deepest are skipped, by bounds on the radial functions with a margin far above
rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .meshes import RadialFn, icosphere, radius_by_fn, radius_groups, row_norms

if TYPE_CHECKING:
    from .placement import Body

PROBE_DIRS = icosphere(3)[0]  # 642 directions for overlap tests
JITTER = 0.06 * icosphere(1)[0]  # refinement offsets around the deepest probe


def penetration(a: Body, ca: np.ndarray, b: Body, cb: np.ndarray) -> float:
    """How deep (nm) the surface of either body reaches into the other: probes all
    over the surface, then a finer look around the deepest one (contacts of elongated,
    faceted bodies are narrow and fall between coarse probes)."""
    return float(depths(a, ca, [b], np.asarray(cb, float)[None])[0])


def depths(a: Body, ca: np.ndarray, others: list[Body], cb: np.ndarray) -> np.ndarray:
    """``penetration(a, ca[k], others[k], cb[k])`` for every k in one pass, to the bit."""
    ca = np.broadcast_to(np.asarray(ca, float), cb.shape)
    depth = np.zeros(len(others))
    for p, cp, q, cq in (([a] * len(others), ca, others, cb), (others, cb, [a] * len(others), ca)):
        coarse, deepest = _coarse(p, cp, q, cq)
        for d in (coarse, _fine(p, cp, q, cq, deepest)):
            depth = np.fmax(depth, d)  # as max() over floats: a NaN never wins
    return depth


def too_deep(a: Body, ca: np.ndarray, others: list[Body], cb: np.ndarray, allowed: np.ndarray,
              group: np.ndarray) -> np.ndarray:
    """``penetration(a, ca[k], others[k], cb[k]) > allowed[k]`` for every pair k that
    decides its candidate ``group[k]``: the four looks (coarse and fine, each way) go
    in turn, each only at pairs whose candidate no earlier look has ruled out."""
    deep = np.zeros(len(others), bool)
    out = np.zeros(group.max() + 1, bool)
    for there in (True, False):
        live = np.flatnonzero(~out[group])
        if not len(live):
            break
        p, cp = ([a] * len(live), ca[live]) if there else ([others[k] for k in live], cb[live])
        q, cq = ([others[k] for k in live], cb[live]) if there else ([a] * len(live), ca[live])
        coarse, deepest = _coarse(p, cp, q, cq)
        deep[live] |= coarse > allowed[live]  # NaN compares False: as in max() over floats, it never wins
        out[group[deep]] = True
        still = np.flatnonzero(~out[group[live]])
        if len(still):
            k = live[still]
            fine = _fine([p[i] for i in still], cp[still], [q[i] for i in still], cq[still], deepest[still])
            deep[k] |= fine > allowed[k]
            out[group[deep]] = True
    return deep


def distinct_bodies(bodies: list[Body]) -> tuple[list[Body], np.ndarray]:
    """The distinct bodies and which one each entry is."""
    seen: dict[int, int] = {}
    idx = np.array([seen.setdefault(id(b), len(seen)) for b in bodies], np.intp)
    out = [None] * len(seen)
    for b, i in zip(bodies, idx):
        out[i] = b
    return out, idx


def _coarse(p: list[Body], cp: np.ndarray, q: list[Body], cq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair k: how far the surface of body ``p[k]`` (centre ``cp[k]``) reaches into body
    ``q[k]`` (``cq[k]``) at the deepest of its probes, and that probe's direction: the
    values of the original one-pair-at-a-time test, to the bit. Only probes that may be
    the deepest are looked at (the rest cannot win the argmax)."""
    k_pairs = len(cp)
    pb, pi = distinct_bodies(p)
    qb, qi = distinct_bodies(q)
    pf, qf = [b.rf for b in pb], [b.rf for b in qb]
    towards = cq - cp  # the deepest point of convex pairs
    norm = np.sqrt(np.matmul(towards[:, None, :], towards[:, :, None])[:, 0, 0])  # = np.linalg.norm(row)
    towards = towards / np.maximum(norm, 1e-9)[:, None]
    tip = towards * radius_groups(pf[0] if len(pf) == 1 else [pf[i] for i in pi],
                                  towards[:, None, :])[:, 0][:, None]  # one-row products
    n = len(PROBE_DIRS) + 1
    tip = tip + cp - cq  # every point is (probe + cp) - cq, as the original stacked them
    pair, row = _near_probes(pb, pi, qf, qi, cp - cq, row_norms(tip))
    probes = pb[0].probes[row] if len(pb) == 1 else np.stack([b.probes for b in pb])[pi[pair], row]
    pts = probes + cp[pair] - cq[pair]
    pair, row = np.concatenate([pair, np.arange(k_pairs)]), np.concatenate([row, np.full(k_pairs, n - 1)])
    pts = np.concatenate([pts, tip])
    dist = row_norms(pts)
    keep = _may_be_deepest(qf, qi, pair, row, pts, dist, k_pairs)
    pair, row, pts, d = pair[keep], row[keep], pts[keep], dist[keep]
    dirs = pts / np.maximum(d[:, None], 1e-9)
    excess = np.full((k_pairs, n), -np.inf)
    excess[pair, row] = radius_by_fn(qf, qi[pair], dirs) - d
    k = np.argmax(excess, axis=1)
    coarse = excess[np.arange(k_pairs), k]
    deepest = np.where((k < n - 1)[:, None], PROBE_DIRS[np.minimum(k, n - 2)], towards)
    return coarse, deepest


def _near_probes(pb: list[Body], pi: np.ndarray, qf: list[RadialFn], qi: np.ndarray, w: np.ndarray,
                 tip_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair, probe) of the probes of ``pb[pi[k]]`` whose ``radius - dist`` into q may be
    the largest (``w``: p's centre from q's): the whole-body bounds of q's reach against
    each probe's distance from q's centre, known from its radius r and cosine c to w as
    sqrt(r^2 + 2 r c |w| + |w|^2) up to rounding (a margin far above it is kept)."""
    k_pairs = len(w)
    bounds = [f.bounds() for f in qf]
    if any(b is None for b in bounds):
        return np.nonzero(np.ones((k_pairs, len(PROBE_DIRS)), bool))
    lo, hi = (np.array([b[i] for b in bounds])[qi] for i in (0, 1))
    wn = np.sqrt(np.einsum("kj,kj->k", w, w))
    c = (PROBE_DIRS @ (w / np.maximum(wn, 1e-300)[:, None]).T).T  # (K, probes): cosine to w
    radii = np.broadcast_to(pb[0].probe_radii, (k_pairs, len(PROBE_DIRS))) if len(pb) == 1 else \
        np.stack([b.probe_radii for b in pb])[pi]
    dist = np.sqrt(np.maximum(radii * radii + 2.0 * radii * c * wn[:, None] + (wn * wn)[:, None], 0.0))
    least = np.minimum(dist.min(axis=1), tip_dist)
    margin = 1e-9 * (wn + radii.max(axis=1) + hi) + 1e-9
    return np.nonzero(hi[:, None] - dist >= (lo - least - margin)[:, None])


def _fine(p: list[Body], cp: np.ndarray, q: list[Body], cq: np.ndarray, deepest: np.ndarray) -> np.ndarray:
    """Pair k: the deepest reach of ``p[k]`` into ``q[k]`` among directions just around
    ``deepest[k]`` (contacts of elongated, faceted bodies fall between coarse probes)."""
    k_pairs = len(cp)
    pb, pi = distinct_bodies(p)
    qb, qi = distinct_bodies(q)
    pf, qf = [b.rf for b in pb], [b.rf for b in qb]
    fine = (deepest[:, None, :] + JITTER).reshape(-1, 3)
    fine /= row_norms(fine, keepdims=True)
    m = len(JITTER)
    pts = fine * radius_by_fn(pf, np.repeat(pi, m), fine)[:, None] + np.repeat(cp - cq, m, axis=0)
    dist = row_norms(pts)
    fine_excess = radius_by_fn(qf, np.repeat(qi, m), pts / np.maximum(dist[:, None], 1e-9)) - dist
    return fine_excess.reshape(k_pairs, m).max(axis=1)


def _may_be_deepest(fns: list[RadialFn], which: np.ndarray, pair: np.ndarray, row: np.ndarray, pts: np.ndarray,
                    dist: np.ndarray, k_pairs: int) -> np.ndarray:
    """Of the points ``pts`` (pair ``pair[i]``, probe ``row[i]`` or the tip, through
    ``fns[which[pair]]``), those whose
    ``radius - dist`` may be the largest of their pair, from bounds on the radial
    function along each one's direction, with a margin far above rounding (any
    point's lower bound bounds the pair's largest from below)."""
    keep = np.ones(len(pair), bool)
    if any(f.bounds() is None for f in fns) or any(f.sphere for f in fns):
        return keep  # spheres: the whole-body bounds were already exact
    dirs = pts / np.maximum(dist[:, None], 1e-9)
    body = which[pair]
    e = np.empty_like(dirs)
    for j, f in enumerate(fns):
        sel = np.flatnonzero(body == j) if len(fns) > 1 else slice(None)
        e[sel] = dirs[sel] @ f.matrix[:, :3]
    lower, upper = _directional_bounds(fns, body, 1.0 / np.sqrt(np.einsum("nc,nc->n", e, e)))
    table = np.full((k_pairs, len(PROBE_DIRS) + 1), -np.inf)  # the pairs' points by probe: max per row
    table[pair, row] = lower - dist
    best = table.max(axis=1)
    scale = np.array([f.scale for f in fns])[body]
    return upper - dist >= best[pair] - 1e-9 * scale


def _directional_bounds(fns: list[RadialFn], which: np.ndarray, r_ell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the radial function from its ellipsoid part ``r_ell`` (unit scale)."""
    b = np.array([f.bounds()[3:] for f in fns])[which]
    noise, offset, soft, scale = b.T
    upper = r_ell * (1.0 + noise) * scale * (1 + 1e-9)
    lower = np.minimum(r_ell, offset) - soft  # the soft minimum lies under min(ellipsoid, facets)
    lower = np.where(lower >= 0, lower * (1.0 - noise), lower * (1.0 + noise)) * scale
    return lower - 1e-9 * np.abs(lower), upper
