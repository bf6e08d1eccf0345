"""Radial functions as rows of flat arrays, the form the compiled kernels
(:mod:`.kernels`) read them in.

The numpy path spends about half its time on per-call overhead (thousands of tiny
array operations per batch of candidates); the kernels instead walk pairs and
directions one at a time, and need every body's matrix, facet offsets, noise phases,
bounds, probes and steering points at a row index rather than as Python objects. A
``FnTable`` grows as bodies are registered (a packer meets its bodies one by one), so
rows are appended, never rebuilt.
"""

from __future__ import annotations

import numpy as np

from .meshes import RadialFn


def _grow(a: np.ndarray, rows: int, *widths: int) -> np.ndarray:
    """``a`` with room for ``rows`` rows and at least ``widths`` along its other axes."""
    shape = (rows,) + tuple(max(s, w) for s, w in zip(a.shape[1:], widths)) if widths else (rows,) + a.shape[1:]
    if shape == a.shape:
        return a
    out = np.zeros(shape, a.dtype)
    out[tuple(slice(0, s) for s in a.shape)] = a
    return out


class FnTable:
    """Rows of radial functions (and, for bodies, their probes and steering points).

    ``fns``: the tuple the kernels' ``reach`` reads (matrix, facet count, noise term
    count, facet offsets, soft width, noise amplitude, noise phases, scale, sphere);
    ``bounds``: (has bounds, lower, upper, noise, facet offset, soft margin) as
    ``RadialFn.bounds`` gives them; ``probes``: (probe points, their radii);
    ``steer``: (steering points, their count)."""

    def __init__(self, capacity: int = 16):
        self.n = 0
        self._rows: dict[int, int] = {}
        self._keep: list = []  # the registered objects: their ids stay unique while held
        c = capacity
        self.mats = np.zeros((c, 3, 3))
        self.npl = np.zeros(c, np.int64)
        self.nk = np.zeros(c, np.int64)
        self.offs = np.zeros((c, 1))
        self.soft = np.zeros(c)
        self.noise = np.zeros(c)
        self.phase = np.zeros((c, 1))
        self.scale = np.zeros(c)
        self.sphere = np.zeros(c, np.bool_)
        self.hasb = np.zeros(c, np.bool_)
        self.bnd = np.zeros((c, 5))  # lower, upper, noise, facet offset, soft margin
        self.probes = np.zeros((c, 0, 3))
        self.pradii = np.zeros((c, 0))
        self.steer = np.zeros((c, 0, 3))
        self.nsteer = np.zeros(c, np.int64)

    @classmethod
    def of_fns(cls, fns: list[RadialFn]) -> "FnTable":
        t = cls(max(len(fns), 1))
        for f in fns:
            t.add_fn(f)
        return t

    def row(self, body) -> int:
        """The row of a ``placement.Body`` (registered on first sight)."""
        r = self._rows.get(id(body))
        if r is None:
            r = self.add_fn(body.rf, body)
        return r

    def add_fn(self, f: RadialFn, body=None) -> int:
        r = self.n
        p = 0 if f.sphere else f.n_planes
        k = 0 if f.sphere else f.matrix.shape[1] - 3 - p
        probes = body.probes if body is not None else None
        steer = None
        if body is not None:
            steer = body.steer if body.steer is not None else body.probes[:162]
        cap = len(self.scale)
        n_probes, n_steer = (0, 0) if probes is None else (len(probes), len(steer))
        if r >= cap or 3 + p + k > self.mats.shape[2] or p > self.offs.shape[1] or k > self.phase.shape[1] \
                or n_probes > self.pradii.shape[1] or n_steer > self.steer.shape[1]:
            rows = cap * 2 if r >= cap else cap
            self.mats = _grow(self.mats, rows, 3, 3 + p + k)
            self.offs = _grow(self.offs, rows, max(p, 1))
            self.phase = _grow(self.phase, rows, max(k, 1))
            for name in ("npl", "nk", "soft", "noise", "scale", "sphere", "hasb", "nsteer"):
                setattr(self, name, _grow(getattr(self, name), rows))
            self.bnd = _grow(self.bnd, rows, 5)
            self.probes = _grow(self.probes, rows, n_probes, 3)
            self.pradii = _grow(self.pradii, rows, n_probes)
            self.steer = _grow(self.steer, rows, n_steer, 3)
        self.scale[r] = f.scale
        self.sphere[r] = f.sphere
        if not f.sphere:
            self.mats[r, :, :f.matrix.shape[1]] = f.matrix
            self.npl[r], self.nk[r] = p, k
            if p:
                self.offs[r, :p] = f.offsets
                self.soft[r] = f.soft
            if k:
                self.noise[r] = f.amp * f.norm if f.amp > 0 else 0.0
                self.phase[r, :k] = f.phase
        b = f.bounds()
        if b is not None:
            self.hasb[r] = True
            self.bnd[r] = [b[0], b[1], b[3], b[4], b[5]]
        if probes is not None:
            self.probes[r, :len(probes)] = probes
            self.pradii[r, :len(probes)] = body.probe_radii
            self.steer[r, :len(steer)] = steer
            self.nsteer[r] = len(steer)
        self._rows[id(body if body is not None else f)] = r
        self._keep.append(body if body is not None else f)
        self.n = r + 1
        return r

    @property
    def fns(self) -> tuple:
        return (self.mats, self.npl, self.nk, self.offs, self.soft, self.noise, self.phase, self.scale, self.sphere)

    @property
    def bounds(self) -> tuple:
        return (self.hasb, self.bnd)
