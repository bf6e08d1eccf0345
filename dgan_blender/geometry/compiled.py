"""Which path placement takes: the compiled kernels (:mod:`.kernels`, numba) or the
numpy code they replace, and the glue that feeds a packer's bodies to the kernels.

The kernels make layout generation several times faster; the numpy path stays as
the reference they are tested against (tests/geometry/test_compiled.py) and as the
fallback where numba is missing. ``DGAN_LAYOUT_NUMPY=1`` in the environment, or
``use(False)``, selects the numpy path. Both give the same particles and decisions;
values differ in the last bits (see kernels.py).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

import numpy as np

from .fntable import FnTable
from .meshes import RadialFn, icosphere

if TYPE_CHECKING:
    from .placement import Body, Packer

try:
    from . import kernels
except ImportError:  # numba missing: the numpy path
    kernels = None

ENABLED = kernels is not None and os.environ.get("DGAN_LAYOUT_NUMPY", "") not in ("1", "true", "yes")

_DIRS = np.ascontiguousarray(icosphere(3)[0])  # overlap.PROBE_DIRS
_JITTER = np.ascontiguousarray(0.06 * icosphere(1)[0])  # overlap.JITTER


@contextlib.contextmanager
def use(on: bool):
    """Run the block on the compiled path (True) or the numpy one (False)."""
    global ENABLED
    before = ENABLED
    ENABLED = bool(on) and kernels is not None
    try:
        yield
    finally:
        ENABLED = before


def _table(packer: Packer) -> FnTable:
    t = getattr(packer, "_table", None)
    if t is None:
        t = packer._table = FnTable(max(16, 2 * len(packer.placed)))
        packer._placed_rows = np.array([t.row(b) for b in packer.placed], np.int64)
    elif len(packer._placed_rows) != len(packer.placed):  # bodies added since
        new = [t.row(b) for b in packer.placed[len(packer._placed_rows):]]
        packer._placed_rows = np.concatenate([packer._placed_rows, np.array(new, np.int64)])
    return t


def _geom(packer: Packer, body: Body) -> np.ndarray:
    return np.array([packer.w, packer.h, packer.tol, body.bottom, body.diameter, body.rmax, body.rmin])


def plainly_out(packer: Packer, body: Body, cands: np.ndarray) -> np.ndarray:
    return kernels.plainly_out(np.ascontiguousarray(cands, float), packer._centres, packer._rmin, packer._diam,
                               _geom(packer, body))


def fits_many(packer: Packer, body: Body, cands: np.ndarray) -> np.ndarray:
    t = _table(packer)
    b = t.row(body)
    geom = _geom(packer, body)
    return kernels.fits_many(t.t, t.probes, t.pradii, _DIRS, _JITTER, b,
                             np.ascontiguousarray(cands, float), packer._placed_rows, packer._centres,
                             packer._rmax, packer._rmin, packer._diam, geom)


def drop(packer: Packer, body: Body, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = _table(packer)
    b = t.row(body)
    return kernels.drop(t.t, b, np.ascontiguousarray(xy, float), packer._placed_rows,
                        packer._centres, packer._rmax, float(body.rmax), float(body.bottom))


def resting_contact(packer: Packer, anchors: list[Body], body: Body, phi: np.ndarray,
                    rows: np.ndarray | None = None) -> np.ndarray:
    """``placement._resting_contact`` (``phi`` (R, B): batch r around ``anchors[r]``)."""
    t = _table(packer)
    b = t.row(body)
    rounds, batch = phi.shape
    rnd = np.repeat(np.arange(rounds), batch)
    phi = phi.ravel()
    if rows is not None:
        rnd, phi = rnd[rows], phi[rows]
    arows = np.array([t.row(a) for a in anchors], np.int64)[rnd]
    ac = np.array([a.centre for a in anchors], float)[rnd]
    arm = np.array([a.rmax for a in anchors], float)[rnd]
    return kernels.resting_contact(t.t, arows, ac, arm, b, float(body.rmax), float(body.bottom),
                                   np.ascontiguousarray(phi, float))


def steer_depths(packer: Packer, body: Body, at: np.ndarray, others: list[Body], centres: np.ndarray) -> np.ndarray:
    t = _table(packer)
    b = t.row(body)
    rows = np.array([t.row(o) for o in others], np.int64)
    return kernels.steer_depths(t.t, t.steer, t.nsteer, b, np.ascontiguousarray(at, float), rows,
                                np.ascontiguousarray(centres, float))


def reach_groups(fns: list[RadialFn], dirs: np.ndarray) -> np.ndarray:
    """Each of ``fns`` along all of ``dirs`` (V, 3): (G, V), as ``radius_groups`` (a
    mesh's reaches: slightly faster than numpy's vectorised exp over thousands of
    directions, as terms far from the soft minimum skip theirs)."""
    t = FnTable.of_fns(fns)
    return kernels.reach_many(t.t, np.arange(len(fns), dtype=np.int64), np.ascontiguousarray(dirs, float))


def volumes(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """``meshes._volumes``, compiled (3-5x faster; the last bits differ)."""
    return kernels.volumes(np.ascontiguousarray(vertices, float), np.ascontiguousarray(faces, np.int64))
