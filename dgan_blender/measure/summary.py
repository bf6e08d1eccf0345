"""The numbers of a measurement: size statistics with bootstrap confidence intervals,
shape distributions, and the per-particle table.

Intervals are percentile bootstraps over particles, drawn from a seeded Generator, so a
rerun of the same run gives the same interval to the last digit. They express the
sampling spread of the particles found, not the segmentation's own error (``--masks``
measures that).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

STATISTICS = {
    "median_nm": lambda x: np.median(x, axis=-1),
    "mean_nm": lambda x: np.mean(x, axis=-1),
    "d10_nm": lambda x: np.percentile(x, 10, axis=-1),
    "d50_nm": lambda x: np.percentile(x, 50, axis=-1),
    "d90_nm": lambda x: np.percentile(x, 90, axis=-1),
}


def bootstrap_ci(values, statistic, seed: int, n_boot: int = 2000, level: float = 0.95,
                 chunk: int = 250) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` (a function reducing the last axis)."""
    x = np.asarray(values, float)
    if x.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = []
    for start in range(0, n_boot, chunk):  # bounded memory for large particle counts
        idx = rng.integers(0, x.size, size=(min(chunk, n_boot - start), x.size))
        draws.append(statistic(x[idx]))
    draws = np.concatenate(draws)
    alpha = (1 - level) / 2
    return float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha))


def size_statistics(diameters_nm, seed: int, n_boot: int = 2000) -> dict:
    """Each of median, mean, D10/D50/D90 with its 95 % interval (rounded to 0.01 nm)."""
    x = np.asarray(diameters_nm, float)
    out: dict = {"n": int(x.size)}
    for k, (name, fn) in enumerate(STATISTICS.items()):
        value = float(fn(x)) if x.size else math.nan
        lo, hi = bootstrap_ci(x, fn, seed + k, n_boot)
        out[name] = {"value": _r(value), "ci95": [_r(lo), _r(hi)]}
    return out


def shape_statistics(values) -> dict:
    x = np.asarray(values, float)
    if not x.size:
        return {"n": 0}
    q = np.percentile(x, [10, 25, 50, 75, 90])
    return {"n": int(x.size), "mean": _r(x.mean(), 4), "p10": _r(q[0], 4), "p25": _r(q[1], 4),
            "median": _r(q[2], 4), "p75": _r(q[3], 4), "p90": _r(q[4], 4)}


def elongations(instances: np.ndarray) -> dict[int, float]:
    """Major over minor axis of each instance's second moments (1 for a disc)."""
    inst = np.asarray(instances)
    out: dict[int, float] = {}
    for k, sl in enumerate(ndi.find_objects(inst), start=1):
        if sl is None:
            continue
        ys, xs = np.nonzero(inst[sl] == k)
        if ys.size < 3:
            out[k] = 1.0
            continue
        cov = np.cov(np.stack([xs, ys]).astype(float))
        ev = np.sort(np.linalg.eigvalsh(cov))
        out[k] = round(float(math.sqrt(max(ev[1], 1e-12) / max(ev[0], 1e-12))), 4) if ev[0] > 1e-9 else 99.0
    return out


def read_particles(path: Path) -> list[dict]:
    """``dgan segment``'s particles.csv, numbers parsed."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for key, value in r.items():
            if key != "image":
                r[key] = float(value) if "." in value or "e" in value.lower() else int(value)
    return rows


def _r(v: float, digits: int = 2) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), digits)


def read_json(path: Path) -> dict:
    import json

    return json.loads(Path(path).read_text())
