"""Compiled (numba) loops of placement: overlap tests, drops, side contacts, steering.

The numpy path (overlap.py, stacking.py, placement.py) batches pairs and directions into
arrays, and still spends half its time on the overhead of ~2,000 small numpy calls per
batch of candidates. Here the same algorithms walk one pair and one direction at a time
in compiled code: the same probes, the same pruning bounds (which only skip probes that
cannot win), the same fixed-point steps and the same early exits, so every accept or
reject and every chosen contact is the numpy path's. Values differ from it in the last
bits only (libm's exp/log/cos against numpy's, scalar dot products against BLAS):
vertices and centres within 1e-9 nm (tests/geometry/test_compiled.py). Kernels draw no
random numbers: the Generator's draws stay in Python, in the same order.

Radial functions come as the rows of one float table ``T`` (:class:`.fntable.FnTable`,
which documents the columns): one array, because numba counts references to every
array a function binds, and with a tuple of arrays per evaluation that bookkeeping
cost as much as a sphere's reach itself.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_INF = np.inf


# columns of a FnTable row (see fntable.py)
SPHERE, SCALE, NPL, NK, SOFT, NOISE, HASB, LO, HI, BNOISE, BOFFSET, BSOFT, MAT = range(13)


@njit(cache=True, inline="always")
def _col(T, b, j, x, y, z):
    """Column j of row b's matrix (3 x (3 + P + K), stored column by column) times (x, y, z)."""
    k = MAT + 3 * j
    return x * T[b, k] + y * T[b, k + 1] + z * T[b, k + 2]


@njit(cache=True, inline="always")
def _soft_term(x):
    """exp(x) for x <= 0 as the soft minimum's sum needs it: one of its terms is exp(0)
    = 1, so a term under exp(-40) (< 2**-57) moves the total by an ulp at most, and its
    exp (most of the cost of a reach: facets far from the nearest) is left out."""
    return math.exp(x) if x > -40.0 else 0.0


@njit(cache=True)
def reach(T, b, x, y, z):
    """How far body row ``b`` reaches along the unit direction (x, y, z) (``_reach``)."""
    if T[b, SPHERE] != 0.0:
        return T[b, SCALE]
    p, k = int(T[b, NPL]), int(T[b, NK])
    e0, e1, e2 = _col(T, b, 0, x, y, z), _col(T, b, 1, x, y, z), _col(T, b, 2, x, y, z)
    r = 1.0 / math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
    offs = MAT + 3 * (3 + p + k)
    if p > 0:
        s = T[b, SOFT]
        mn = r
        for i in range(p):
            c = _col(T, b, 3 + i, x, y, z)
            if c > 1e-6:
                mn = min(mn, T[b, offs + i] / c)
        total = _soft_term((mn - r) / s)
        for i in range(p):
            c = _col(T, b, 3 + i, x, y, z)
            if c > 1e-6:
                total += _soft_term((mn - T[b, offs + i] / c) / s)
        r = mn - s * math.log(total)
    if k > 0:
        wave = 0.0
        for i in range(k):
            wave += math.cos(_col(T, b, 3 + p + i, x, y, z) + T[b, offs + p + i])
        r = r * (1.0 + T[b, NOISE] * wave)
    return r * T[b, SCALE]


@njit(cache=True)
def reach_many(T, rows, dirs):
    """``reach`` of row ``rows[g]`` along every one of ``dirs`` (V, 3): (G, V)."""
    out = np.empty((len(rows), len(dirs)))
    for g in range(len(rows)):
        for v in range(len(dirs)):
            out[g, v] = reach(T, rows[g], dirs[v, 0], dirs[v, 1], dirs[v, 2])
    return out


@njit(cache=True, inline="always")
def _dir_bounds(T, b, x, y, z):
    """Bounds on body ``b``'s reach along the unit direction (x, y, z), without its
    exp, log and cos: the soft minimum m - s log(total) of the ellipsoid's and the
    facets' distances (min m) lies in [m - s log(P + 1), m], the noise factor within
    1 -+ its bound (overlap._directional_bounds, whose ``min(r, offset)`` is under m:
    these are as safe and tighter). Whole-body bounds for spheres."""
    if T[b, HASB] == 0.0:
        return -_INF, _INF
    if T[b, SPHERE] != 0.0:
        return T[b, LO], T[b, HI]
    p, k = int(T[b, NPL]), int(T[b, NK])
    e0, e1, e2 = _col(T, b, 0, x, y, z), _col(T, b, 1, x, y, z), _col(T, b, 2, x, y, z)
    mn = 1.0 / math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
    offs = MAT + 3 * (3 + p + k)
    for i in range(p):
        c = _col(T, b, 3 + i, x, y, z)
        if c > 1e-6:
            mn = min(mn, T[b, offs + i] / c)
    noise, scale = T[b, BNOISE], T[b, SCALE]
    lower = mn - T[b, BSOFT]
    lower = (lower * (1.0 - noise) if lower >= 0 else lower * (1.0 + noise)) * scale
    return lower - 1e-9 * abs(lower), mn * (1.0 + noise) * scale * (1 + 1e-9)


@njit(cache=True, inline="always")
def _probe_point(probes, bp, j, n, wx, wy, wz, px, py, pz):
    """Probe ``j`` of body ``bp`` (``j == n``: the extra point ``p``) seen from q's centre:
    its unit direction and distance (the direction guarded against a zero distance)."""
    if j < n:
        x, y, z = probes[bp, j, 0] + wx, probes[bp, j, 1] + wy, probes[bp, j, 2] + wz
    else:
        x, y, z = px, py, pz
    dist = math.sqrt(x * x + y * y + z * z)
    dd = max(dist, 1e-9)
    return x / dd, y / dd, z / dd, dist


@njit(cache=True)
def _coarse(T, probes, pradii, dirs, bp, cp, bq, cq, allowed, scratch, keep):
    """Whether body ``bp`` (centre ``cp``) reaches deeper than ``allowed`` into ``bq``
    (``cq``) at one of p's probes or the tip towards q (overlap._coarse), and else the
    direction of the deepest of them. Probes that cannot be the deepest are skipped by
    the same bounds (_near_probes, _may_be_deepest); the answer is known as soon as one
    point's depth, or the lower bound of one, is over ``allowed``."""
    n = len(dirs)
    tx, ty, tz = cq[0] - cp[0], cq[1] - cp[1], cq[2] - cp[2]
    norm = max(math.sqrt(tx * tx + ty * ty + tz * tz), 1e-9)
    tx, ty, tz = tx / norm, ty / norm, tz / norm
    rt = reach(T, bp, tx, ty, tz)
    wx, wy, wz = cp[0] - cq[0], cp[1] - cq[1], cp[2] - cq[2]
    px, py, pz = tx * rt + wx, ty * rt + wy, tz * rt + wz  # the tip, from q's centre
    tip_dist = math.sqrt(px * px + py * py + pz * pz)
    for j in range(n):
        keep[j] = True
    if T[bq, HASB] != 0.0:  # whole-body bounds of q's reach against each probe's distance
        lo, hi = T[bq, LO], T[bq, HI]
        wn = math.sqrt(wx * wx + wy * wy + wz * wz)
        d = max(wn, 1e-300)
        ux, uy, uz = wx / d, wy / d, wz / d
        least, rmax = tip_dist, 0.0
        for j in range(n):
            r = pradii[bp, j]
            c = dirs[j, 0] * ux + dirs[j, 1] * uy + dirs[j, 2] * uz
            scratch[j] = math.sqrt(max(r * r + 2.0 * r * c * wn + wn * wn, 0.0))
            least = min(least, scratch[j])
            rmax = max(rmax, r)
        if lo - least > allowed:  # the nearest point is surely deeper
            return True, 0.0, 0.0, 0.0
        margin = 1e-9 * (wn + rmax + hi) + 1e-9
        for j in range(n):
            keep[j] = hi - scratch[j] >= lo - least - margin
    directional = T[bq, HASB] != 0.0 and T[bq, SPHERE] == 0.0
    cut = -_INF
    if directional:  # bounds along each kept point's direction, from q's ellipsoid part
        best = -_INF
        for j in range(n + 1):
            if j < n and not keep[j]:
                continue
            ux, uy, uz, dist = _probe_point(probes, bp, j, n, wx, wy, wz, px, py, pz)
            lower, upper = _dir_bounds(T, bq, ux, uy, uz)
            scratch[j] = upper - dist
            best = max(best, lower - dist)
        if best > allowed:
            return True, 0.0, 0.0, 0.0
        cut = best - 1e-9 * T[bq, SCALE]
    excess, deepest = -_INF, -2
    for j in range(n + 1):
        if (j < n and not keep[j]) or (directional and scratch[j] < cut):
            continue
        ux, uy, uz, dist = _probe_point(probes, bp, j, n, wx, wy, wz, px, py, pz)
        e = reach(T, bq, ux, uy, uz) - dist
        if e > allowed:
            return True, 0.0, 0.0, 0.0
        if e > excess:  # the first of equals, as argmax
            excess, deepest = e, j
    if deepest == n or deepest < 0:
        return False, tx, ty, tz
    return False, dirs[deepest, 0], dirs[deepest, 1], dirs[deepest, 2]


@njit(cache=True)
def _fine(T, jitter, bp, cp, bq, cq, dx, dy, dz, allowed):
    """Whether ``bp`` reaches deeper than ``allowed`` into ``bq`` along a direction just
    around (dx, dy, dz) (overlap._fine). A direction whose depth is bounded under
    ``allowed`` (q's reach by its bounds, p's point by the nearest it can be) is
    passed over, the evaluations it would cost left out."""
    wx, wy, wz = cp[0] - cq[0], cp[1] - cq[1], cp[2] - cq[2]
    qhi = T[bq, HI] if T[bq, HASB] != 0.0 else _INF
    for j in range(len(jitter)):
        x, y, z = dx + jitter[j, 0], dy + jitter[j, 1], dz + jitter[j, 2]
        n = math.sqrt(x * x + y * y + z * z)
        x, y, z = x / n, y / n, z / n
        lo, hi = _dir_bounds(T, bp, x, y, z)
        # |r u + w| over r in [lo, hi]: smallest at r = -u.w, clamped
        r = min(max(-(x * wx + y * wy + z * wz), lo), hi)
        if r == r and r > -_INF and r < _INF:
            ax, ay, az = x * r + wx, y * r + wy, z * r + wz
            if qhi - math.sqrt(ax * ax + ay * ay + az * az) < allowed * (1 - 1e-9) - 1e-9:
                continue
        r = reach(T, bp, x, y, z)
        x, y, z = x * r + wx, y * r + wy, z * r + wz
        dist = math.sqrt(x * x + y * y + z * z)
        dd = max(dist, 1e-9)
        x, y, z = x / dd, y / dd, z / dd
        if _dir_bounds(T, bq, x, y, z)[1] - dist < allowed * (1 - 1e-9) - 1e-9:
            continue
        if reach(T, bq, x, y, z) - dist > allowed:
            return True
    return False


@njit(cache=True)
def _too_deep(T, probes, pradii, dirs, jitter, a, ca, b, cb, allowed, scratch, keep):
    """``overlap.penetration(a, ca, b, cb) > allowed``: the four looks in turn."""
    for there in (True, False):
        p, cp, q, cq = (a, ca, b, cb) if there else (b, cb, a, ca)
        deep, dx, dy, dz = _coarse(T, probes, pradii, dirs, p, cp, q, cq, allowed, scratch, keep)
        if deep or _fine(T, jitter, p, cp, q, cq, dx, dy, dz, allowed):
            return True
    return False


@njit(cache=True, inline="always")
def _plain(cands, i, centres, rmin, diam, geom, dist):
    """Whether candidate i passes the cheap part of ``fits`` (in the field, not under
    the substrate, no inner spheres overlapping: Packer._plainly); ``dist`` gets its
    distances to the placed centres."""
    w, h, tol, bottom, diameter, brmax, brmin = geom
    x, y, z = cands[i, 0], cands[i, 1], cands[i, 2]
    if not (0.0 <= x and x <= w and 0.0 <= y and y <= h) or z - bottom < -tol * diameter:
        return False
    for j in range(len(centres)):
        dx, dy, dz = centres[j, 0] - x, centres[j, 1] - y, centres[j, 2] - z
        dist[j] = math.sqrt(dx * dx + dy * dy + dz * dz)
        if dist[j] < rmin[j] + brmin - tol * min(diameter, diam[j]):
            return False
    return True


@njit(cache=True)
def plainly_out(cands, centres, rmin, diam, geom):
    """``Packer.plainly_out``: candidates failing the cheap part of ``fits``."""
    out = np.empty(len(cands), np.bool_)
    dist = np.empty(len(centres))
    for i in range(len(cands)):
        out[i] = not _plain(cands, i, centres, rmin, diam, geom, dist)
    return out


@njit(cache=True)
def fits_many(T, probes, pradii, dirs, jitter, body, cands, rows, centres, rmax, rmin, diam, geom):
    """``Packer.fits_many``: ``geom`` = (field width, height, tolerance, body's bottom,
    diameter, rmax, rmin)."""
    tol, diameter, brmax = geom[2], geom[4], geom[5]
    n, k = len(cands), len(rows)
    ok = np.zeros(n, np.bool_)
    scratch = np.empty(len(dirs) + 1)
    keep = np.empty(len(dirs) + 1, np.bool_)
    dist = np.empty(k)
    for i in range(n):
        if not _plain(cands, i, centres, rmin, diam, geom, dist):
            continue
        good = True
        for j in range(k):
            if dist[j] < rmax[j] + brmax:
                allowed = tol * min(diameter, diam[j]) + 1e-9
                if _too_deep(T, probes, pradii, dirs, jitter, body, cands[i], rows[j], centres[j], allowed, scratch,
                             keep):
                    good = False
                    break
        ok[i] = good
    return ok


@njit(cache=True)
def _contact_height(T, other, oc, orm, body, brm, x, y, dxy):
    """The centre height at which ``body`` above (x, y) touches ``other`` from above
    (stacking._stack_height for one pair; -inf: no contact)."""
    z = oc[2] + math.sqrt(max((orm + brm) ** 2 - dxy * dxy, 0.0))
    for _ in range(6):
        vx, vy, vz = x - oc[0], y - oc[1], z - oc[2]
        nv = max(math.sqrt(vx * vx + vy * vy + vz * vz), 1e-12)
        ux, uy, uz = vx / nv, vy / nv, vz / nv
        d = reach(T, other, ux, uy, uz) + reach(T, body, -ux, -uy, -uz)
        if d <= dxy:
            return -_INF
        z = oc[2] + math.sqrt(max(d * d - dxy * dxy, 0.0))
    return z


@njit(cache=True)
def drop(T, body, xy, rows, centres, rmax, brmax, bottom):
    """``stacking._drop``: (centres (N, 3), support index, -1 for the substrate). Pairs
    are taken highest possible contact first, and one whose highest possible contact
    lies under a height its candidate surely reaches (the substrate, a pair whose
    smallest reaches overlap, the best contact found) is skipped, with the numpy
    path's bounds and margins (stacking._surely_reached): it cannot be the highest."""
    n, k = len(xy), len(rows)
    out = np.empty((n, 3))
    support = np.full(n, -1, np.int64)
    near = np.empty(k, np.int64)
    dists = np.empty(k)
    tops = np.empty(k)
    for i in range(n):
        x, y = xy[i, 0], xy[i, 1]
        m = 0
        sure = bottom
        bounded = T[body, HASB] != 0.0
        for j in range(k):
            dx, dy = centres[j, 0] - x, centres[j, 1] - y
            dxy = math.sqrt(dx * dx + dy * dy)
            if not dxy < rmax[j] + brmax:
                continue
            near[m], dists[m] = j, dxy
            tops[m] = _INF
            if bounded and T[rows[j], HASB] != 0.0:
                hi = T[rows[j], HI] + T[body, HI]
                tops[m] = centres[j, 2] + math.sqrt(max(hi * hi - dxy * dxy, 0.0))
                lo = T[rows[j], LO] + T[body, LO]
                if lo > dxy * (1 + 1e-9) + 1e-9 * lo:  # never misses, and reaches at least
                    low = centres[j, 2] + math.sqrt(max(lo * lo - dxy * dxy, 0.0))
                    sure = max(sure, low - 1e-9 * (lo + abs(low)))
            m += 1
        z = bottom
        order = np.argsort(-tops[:m])
        for o in order:
            j, dxy, top = near[o], dists[o], tops[o]
            if top < _INF:
                hi = T[rows[j], HI] + T[body, HI]
                if top < max(sure, z) - 1e-9 * (hi + abs(top)):
                    continue
            zk = _contact_height(T, rows[j], centres[j], rmax[j], body, brmax, x, y, dxy)
            if zk > z or (zk == z and support[i] >= 0 and j < support[i]):  # a tie: the lower index
                z, support[i] = zk, j
        out[i, 0], out[i, 1], out[i, 2] = x, y, z
    return out, support


@njit(cache=True)
def resting_contact(T, anchors, ac, arm, body, brm, bottom, phi):
    """``placement._resting_contact``: centres touching anchor row ``anchors[i]``
    (centre ``ac[i]``, rmax ``arm[i]``) along azimuth ``phi[i]`` while resting on the
    substrate (NaN: no such contact)."""
    n = len(phi)
    out = np.empty((n, 3))
    for i in range(n):
        dz = bottom - ac[i, 2]
        hx, hy = math.cos(phi[i]), math.sin(phi[i])
        t = arm[i] + brm
        ok = True
        for _ in range(6):
            vx, vy = t * hx, t * hy
            nv = math.sqrt(vx * vx + vy * vy + dz * dz)
            ux, uy, uz = vx / nv, vy / nv, dz / nv
            d = reach(T, anchors[i], ux, uy, uz) + reach(T, body, -ux, -uy, -uz)
            ok &= d > abs(dz)
            t = math.sqrt(max(d * d - dz * dz, 0.0))
        if ok:
            out[i, 0], out[i, 1], out[i, 2] = ac[i, 0] + t * hx, ac[i, 1] + t * hy, bottom
        else:
            out[i, 0] = out[i, 1] = out[i, 2] = np.nan
    return out


@njit(cache=True)
def _steer_side(T, steer, nsteer, p, q, wx, wy, wz, best):
    """How far p's steering points (p's centre at w from q's) reach into q, or ``best``
    if none reaches deeper: a point whose depth is bounded under ``best`` (q's whole-body
    bound against its distance, then q's bound along its direction) is not evaluated."""
    hi = T[q, HI] if T[q, HASB] != 0.0 else _INF
    for s in range(nsteer[p]):
        x, y, z = steer[p, s, 0] + wx, steer[p, s, 1] + wy, steer[p, s, 2] + wz
        dist = math.sqrt(x * x + y * y + z * z)
        if hi - dist <= best:
            continue
        x, y, z = x / dist, y / dist, z / dist
        if _dir_bounds(T, q, x, y, z)[1] - dist <= best:
            continue
        best = max(best, reach(T, q, x, y, z) - dist)
    return best


@njit(cache=True)
def steer_depths(T, steer, nsteer, body, at, others, centres):
    """``placement._steer_depths``: either way, at the steering points, at least 0."""
    out = np.empty(len(others))
    for i in range(len(others)):
        wx, wy, wz = at[i, 0] - centres[i, 0], at[i, 1] - centres[i, 1], at[i, 2] - centres[i, 2]
        best = _steer_side(T, steer, nsteer, body, others[i], wx, wy, wz, 0.0)
        out[i] = _steer_side(T, steer, nsteer, others[i], body, -wx, -wy, -wz, best)
    return out


@njit(cache=True)
def volumes(vertices, faces):
    """``meshes._volumes``: the signed volume of each of (G, V, 3) with the same faces,
    summed in blocks of 256 faces (error like numpy's pairwise sum, not a running one's)."""
    out = np.empty(len(vertices))
    for g in range(len(vertices)):
        v = vertices[g]
        total = 0.0
        for start in range(0, len(faces), 256):
            block = 0.0
            for f in range(start, min(start + 256, len(faces))):
                a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
                b0, b1, b2, c0, c1, c2 = v[b, 0], v[b, 1], v[b, 2], v[c, 0], v[c, 1], v[c, 2]
                block += v[a, 0] * (b1 * c2 - b2 * c1) + v[a, 1] * (b2 * c0 - b0 * c2) + v[a, 2] * (b0 * c1 - b1 * c0)
            total += block
        out[g] = total / 6.0
    return out
