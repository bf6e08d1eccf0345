"""Where a particle dropped from above comes to rest: on the substrate or on the highest
particle beneath it (3-D clusters). Most of placement's time goes into the fixed-point
steps here, so pairs that cannot decide a candidate's resting height are dropped before
them, and both bodies' reaches of a pair are evaluated in one pass; every value kept is
the one the original one-pair-at-a-time code computed, to the bit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .meshes import RadialFn, RowReach, _reach, radius_by_fn, radius_groups, row_norms, same_shape

if TYPE_CHECKING:
    from .placement import Body, Packer


def _drop(packer: Packer, body: Body, xy: np.ndarray, rounds: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Lower ``body`` vertically at each of ``xy`` (B, 2) until it rests on the
    substrate or on the highest particle beneath it (support index, -1: substrate), so
    stacked particles are always carried by something rather than floating. ``xy`` may
    hold ``rounds`` equal batches; each gets the bits a call of its own would give."""
    size = len(xy) // rounds
    if rounds > 1 and not same_shape([o.rf for o in packer.placed]):
        parts = [_drop(packer, body, xy[i * size:(i + 1) * size]) for i in range(rounds)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    z = np.full(len(xy), body.bottom)
    support = np.full(len(xy), -1)
    dxy = row_norms(packer._centres[None, :, :2] - xy[:, None, :])
    reach = dxy < packer._rmax[None, :] + body.rmax
    ks = np.flatnonzero(reach.any(axis=0))
    if not len(ks):
        return np.column_stack([xy, z]), support
    rows, col = np.nonzero(reach[:, ks])  # every (candidate, particle within reach) pair
    calls = np.bincount(rows // size, minlength=rounds)
    zk = _stack_height([packer.placed[k] for k in ks], col, body, xy[rows], dxy[rows, ks[col]], calls[calls > 0],
                       floor=body.bottom, group=rows)
    # per candidate the highest contact; on a tie the lowest particle index
    order = np.lexsort((col, -zk, rows))
    ro = rows[order]
    first = order[np.concatenate([[True], ro[1:] != ro[:-1]])]
    r, up = rows[first], zk[first] > z[rows[first]]
    z[r[up]], support[r[up]] = zk[first][up], ks[col[first][up]]
    return np.column_stack([xy, z]), support


def _stack_height(others: list[Body], which: np.ndarray, body: Body, xy: np.ndarray,
                  dxy: np.ndarray, calls: np.ndarray | None = None, floor: float | None = None,
                  group: np.ndarray | None = None) -> np.ndarray:
    """Centre heights at which ``body`` above ``xy[i]`` touches ``others[which[i]]`` from
    above (fixed point on the centre-line contact distance; -inf: no contact). All
    pairs in one evaluation: placement spends most of its time here. ``calls``: the
    pairs per batch, consecutive (default: one batch). A pair that misses is dropped
    from later steps (it ends at -inf whatever they give); with ``floor``, so is one
    that cannot reach above it (-inf too). With ``group`` (the candidate of each pair,
    when only each candidate's highest contact above ``floor`` is wanted, as in
    ``_drop``), so is one that cannot reach as high as another pair of its candidate
    surely does (-inf: it cannot be that highest one; ~40 % of the pairs in 3-D
    clusters, and the steps are most of the time)."""
    oc = np.array([o.centre for o in others])[which]
    rmax = np.array([o.rmax for o in others])[which]
    fns = [o.rf for o in others]
    calls = np.array([len(xy)]) if calls is None else calls
    alone = np.repeat(calls == 1, calls)  # pairs that were a batch's only one: one-row products
    z = oc[:, 2] + np.sqrt(np.maximum((rmax + body.rmax) ** 2 - dxy * dxy, 0.0))
    miss = np.zeros(len(xy), bool)
    live = np.arange(len(xy))
    drop = same_shape(fns)  # else radius_along_rows evaluates per body, and row counts matter
    if drop and floor is not None and body.rf.bounds() is not None and all(f.bounds() is not None for f in fns):
        # a pair whose highest possible contact is under ``floor`` cannot carry the body
        hi = np.array([f.bounds()[1] for f in fns])[which] + body.rf.bounds()[1]
        top = oc[:, 2] + np.sqrt(np.maximum(hi * hi - dxy * dxy, 0.0))
        low = top < floor - 1e-9 * (hi + np.abs(floor))
        if group is not None:
            low |= top < _surely_reached(group, which, fns, body, oc[:, 2], dxy, floor) - 1e-9 * (hi + np.abs(top))
        miss[low] = True
        live = np.flatnonzero(~low)
    reach = _ContactReach(fns, which, body.rf, alone)
    for _ in range(6 if len(live) else 0):
        every = len(live) == len(xy)
        v = np.column_stack([xy[live] - oc[live, :2], z[live] - oc[live, 2]])
        u = v / np.maximum(row_norms(v, keepdims=True), 1e-12)
        d = reach.at(None if every else live, u)
        dl = dxy[live]
        miss[live] |= d <= dl
        z[live] = oc[live, 2] + np.sqrt(np.maximum(d * d - dl * dl, 0.0))
        if drop and miss[live].any():
            live = live[~miss[live]]
            if not len(live):
                break
    z[miss] = -np.inf
    return z


def _surely_reached(group: np.ndarray, which: np.ndarray, fns: list[RadialFn], body: Body, base: np.ndarray,
                    dxy: np.ndarray, floor: float) -> np.ndarray:
    """Per pair, a height its candidate ``group[i]`` surely reaches: ``floor``, or the
    contact of a pair whose bodies' smallest reaches (sum ``lo``) overlap over ``dxy``
    - that pair never misses, and every step puts it at least at base + sqrt(lo^2 -
    dxy^2) (the reaches are at least their lower bounds; margins far above rounding)."""
    lo = np.array([f.bounds()[0] for f in fns])[which] + body.rf.bounds()[0]
    sure = lo > dxy * (1 + 1e-9) + 1e-9 * lo
    low = base + np.sqrt(np.maximum(lo * lo - dxy * dxy, 0.0))
    low -= 1e-9 * (lo + np.abs(low))
    best = np.full(int(group.max()) + 1, float(floor))
    np.maximum.at(best, group[sure], low[sure])
    return best[group]


def _radius_as_called(fn: RadialFn, dirs: np.ndarray, alone: np.ndarray) -> np.ndarray:
    """``radius_along(fn, .)`` of each row as the original calls made it: rows marked
    ``alone`` in one-row products, the rest in many-row ones."""
    out = radius_by_fn([fn], np.zeros(len(dirs), np.intp), dirs)
    if alone.any():
        at = np.flatnonzero(alone)
        out[at] = radius_groups(fn, dirs[at][:, None, :])[:, 0]
    return out


class _ContactReach:
    """Per pair i, the reach of ``fns[which[i]]`` along ``u`` plus the body's along ``-u``
    (the centre-line contact distance), the two halves as the original calls made them:
    the other body's as ``RowReach``, the body's as ``_radius_as_called`` (one product
    for all rows, rows ``alone`` in one-row products). Where every body has the same
    terms, both halves go through one ``_reach`` with per-row parameters (the same
    element-wise steps, half the calls); else the two calls."""

    def __init__(self, fns: list[RadialFn], which: np.ndarray, fn: RadialFn, alone: np.ndarray):
        self.fn, self.alone, self.which = fn, alone, np.asarray(which, np.intp)
        every = fns + [fn]
        self.one = not any(g.sphere for g in every) and len({(g.matrix.shape, g.n_planes) for g in every}) == 1 \
            and (fn.matrix.shape[1] > 3 + fn.n_planes) == (fn.amp > 0)
        if not self.one:
            self.rows = RowReach(fns, which)
            return
        # RowReach's per-row matrices and parameters, then the body's: rows n.. of every table
        n, w = len(self.which), self.which
        self.mats = np.stack([g.matrix for g in fns])[w]
        idx = np.concatenate([w, np.full(n, len(fns))])
        self.p = p = fn.n_planes

        def rows(values):
            return np.asarray(values, float)[idx]

        def terms(values):
            return np.asarray(values, float).reshape(len(every), -1).T[:, idx]

        noisy = fn.amp > 0
        self.offsets = terms([g.offsets for g in every]) if p else None
        self.soft = rows([g.soft for g in every]) if p else None
        self.noise = rows([g.amp * g.norm for g in every]) if noisy else None
        self.phase = terms([g.phase for g in every]) if noisy else None
        self.scale = rows([g.scale for g in every])
        self.n = n

    def at(self, live: np.ndarray | None, u: np.ndarray) -> np.ndarray:
        alone = self.alone if live is None else self.alone[live]
        if not self.one:
            return self.rows.at(live, u) + _radius_as_called(self.fn, -u, alone)
        f = self.fn
        neg = np.ascontiguousarray(-u, float)
        mine = neg @ f.matrix if len(neg) > 1 else (np.vstack([neg, neg]) @ f.matrix)[:1]
        if alone.any():  # as radius_groups makes them
            at = np.flatnonzero(alone)
            mine[at] = np.matmul(np.ascontiguousarray(neg[at][:, None, :]), f.matrix).reshape(len(at), -1)
        theirs = np.einsum("nj,njc->nc", np.asarray(u, float), self.mats if live is None else self.mats[live])
        idx = None if live is None else np.concatenate([live, live + self.n])

        def cols(a):
            return a if a is None or idx is None else a[..., idx]

        d = _reach(np.concatenate([theirs, mine]), self.p, cols(self.offsets), cols(self.soft), cols(self.noise),
                   cols(self.phase), cols(self.scale))
        k = len(u)
        return d[:k] + d[k:]


class SideReach:
    """``radius_by_fn(fns, which, u) + radius_by_fn([fn], 0, -u)`` for the same rows at
    every fixed-point step (a body beside its anchor): the rows of each of ``fns`` and
    the per-row parameters found once, and, where every body has the same terms, both
    halves in one ``_reach`` (the products as ``radius_by_fn`` makes them)."""

    def __init__(self, fns: list[RadialFn], which: np.ndarray, fn: RadialFn):
        self.fns, self.which, self.fn = fns, np.asarray(which, np.intp), fn
        f = fns[0]
        self.one = same_shape(fns + [fn]) and not f.sphere and (f.amp > 0) == (fn.amp > 0)
        if not self.one:
            return
        n, w = len(self.which), self.which
        self.sels = [(g.matrix, np.flatnonzero(w == k)) for k, g in enumerate(fns)]
        p, noisy = f.n_planes, f.amp > 0

        def both(theirs, mine):  # per fn (len(fns), T) and the body's (T,) -> (T, 2n)
            t = np.asarray(theirs, float).reshape(len(fns), -1).T[:, w]
            return np.concatenate([t, np.broadcast_to(np.asarray(mine, float).reshape(-1, 1), (len(t), n))], axis=1)

        self.offsets = both([g.offsets for g in fns], fn.offsets) if p else None
        self.soft = both([g.soft for g in fns], fn.soft)[0] if p else None
        self.noise = both([g.amp * g.norm for g in fns], fn.amp * fn.norm)[0] if noisy else None
        self.phase = both([g.phase for g in fns], fn.phase) if noisy else None
        self.scale = both([g.scale for g in fns], fn.scale)[0]

    def at(self, u: np.ndarray) -> np.ndarray:
        if not self.one:
            return radius_by_fn(self.fns, self.which, u) + radius_by_fn([self.fn], np.zeros(len(u), np.intp), -u)
        u = np.ascontiguousarray(u, float)
        n = len(u)
        q = np.empty((2 * n, self.fn.matrix.shape[1]))
        for matrix, sel in self.sels:  # as radius_by_fn: one product per body, >= 2 rows
            if len(sel) > 1:
                q[sel] = u[sel] @ matrix
            elif len(sel):
                q[sel] = (u[np.concatenate([sel, sel])] @ matrix)[:1]
        neg = np.ascontiguousarray(-u)
        q[n:] = neg @ self.fn.matrix if n > 1 else (np.vstack([neg, neg]) @ self.fn.matrix)[:1]
        d = _reach(q, self.fn.n_planes, self.offsets, self.soft, self.noise, self.phase, self.scale)
        return d[:n] + d[n:]
