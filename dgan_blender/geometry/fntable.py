"""Radial functions as rows of one float table, the form the compiled kernels
(:mod:`.kernels`) read them in.

The numpy path spends about half its time on per-call overhead (thousands of tiny
array operations per batch of candidates); the kernels instead walk pairs and
directions one at a time, and need every body's matrix, facet offsets, noise phases
and bounds at a row index rather than as Python objects, in a single array (numba
counts references to each array a function binds: a tuple of nine cost as much as a
sphere's reach). A ``FnTable`` grows as bodies are registered (a packer meets its
bodies one by one), so rows are appended, never rebuilt.

Columns of a row (kernels.py names them): sphere (1/0), scale, facet count P, noise
term count K, soft width, noise amplitude (amp * norm), has bounds (1/0), then
``RadialFn.bounds``' lower, upper, noise, facet offset and soft margin; from column
12 the 3 x (3 + P + K) matrix column by column, then the P facet offsets, then the K
noise phases.
"""

from __future__ import annotations

import numpy as np

from .meshes import RadialFn

_MAT = 12


def _grow(a: np.ndarray, rows: int, *widths: int) -> np.ndarray:
    """``a`` with room for ``rows`` rows and at least ``widths`` along its other axes."""
    shape = (rows,) + tuple(max(s, w) for s, w in zip(a.shape[1:], widths))
    if shape == a.shape:
        return a
    out = np.zeros(shape, a.dtype)
    out[tuple(slice(0, s) for s in a.shape)] = a
    return out


class FnTable:
    """Rows of radial functions (``t``), and for bodies their probes (``probes``, their
    radii ``pradii``) and steering points (``steer``, how many ``nsteer``)."""

    def __init__(self, capacity: int = 16):
        self.n = 0
        self._rows: dict[int, int] = {}
        self._keep: list = []  # the registered objects: their ids stay unique while held
        c = max(capacity, 1)
        self.t = np.zeros((c, _MAT))
        self.probes = np.zeros((c, 0, 3))
        self.pradii = np.zeros((c, 0))
        self.steer = np.zeros((c, 0, 3))
        self.nsteer = np.zeros(c, np.int64)

    @classmethod
    def of_fns(cls, fns: list[RadialFn]) -> "FnTable":
        t = cls(len(fns))
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
        width = _MAT + 3 * (3 + p + k) + p + k
        probes = body.probes if body is not None else None
        steer = None
        if probes is not None:
            steer = body.steer if body.steer is not None else probes[:162]
        n_probes, n_steer = (0, 0) if probes is None else (len(probes), len(steer))
        cap = len(self.t)
        if r >= cap or width > self.t.shape[1] or n_probes > self.pradii.shape[1] or n_steer > self.steer.shape[1]:
            rows = cap * 2 if r >= cap else cap
            self.t = _grow(self.t, rows, width)
            self.probes = _grow(self.probes, rows, n_probes, 3)
            self.pradii = _grow(self.pradii, rows, n_probes)
            self.steer = _grow(self.steer, rows, n_steer, 3)
            self.nsteer = _grow(self.nsteer, rows)
        row = self.t[r]
        row[0], row[1] = float(f.sphere), f.scale
        if not f.sphere:
            row[2], row[3] = p, k
            row[_MAT:_MAT + 3 * (3 + p + k)] = f.matrix.T.ravel()
            offs = _MAT + 3 * (3 + p + k)
            if p:
                row[4] = f.soft
                row[offs:offs + p] = f.offsets
            if k:
                row[5] = f.amp * f.norm if f.amp > 0 else 0.0
                row[offs + p:offs + p + k] = f.phase
        b = f.bounds()
        if b is not None:
            row[6:12] = [1.0, b[0], b[1], b[3], b[4], b[5]]
        if probes is not None:
            self.probes[r, :n_probes] = probes
            self.pradii[r, :n_probes] = body.probe_radii
            self.steer[r, :n_steer] = steer
            self.nsteer[r] = n_steer
        self._rows[id(body if body is not None else f)] = r
        self._keep.append(body if body is not None else f)
        self.n = r + 1
        return r
