"""Particle size distributions from instance masks, and how far two of them lie apart.

The one comparison every size figure in the project uses (prior, eval, measure): a
particle's size is its equivalent circular diameter (the disc of its visible area);
particles cut by the image border are left out (their size is truncated), and so are
fragments under ``min_area_px``. Manual masks separate touching particles by one-pixel
lines, so their 4-connected components are the particles.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .instances import MIN_AREA_PX, mask_to_instances


def diameters_px(instances: np.ndarray, min_area_px: int = MIN_AREA_PX,
                 drop_border: bool = True) -> np.ndarray:
    """Equivalent circular diameters (px) of the instances of a label image."""
    inst = np.asarray(instances)
    if inst.max() <= 0:
        return np.zeros(0)
    area = np.bincount(inst.ravel().astype(np.int64))
    keep = area >= max(1, min_area_px)
    keep[0] = False
    if drop_border:
        edge = np.concatenate([inst[0], inst[-1], inst[:, 0], inst[:, -1]]).astype(np.int64)
        keep[np.unique(edge)] = False
    return 2.0 * np.sqrt(area[keep] / np.pi)


def mask_diameters_nm(mask: np.ndarray, pixel_size_nm: float, min_area_px: int = MIN_AREA_PX) -> np.ndarray:
    """A binary manual mask -> the diameters (nm) of its off-border particles."""
    return diameters_px(mask_to_instances(mask), min_area_px) * float(pixel_size_nm)


def instance_diameters_nm(instances: np.ndarray, pixel_size_nm: float,
                          min_area_px: int = MIN_AREA_PX) -> np.ndarray:
    """A label image (0 background) -> the diameters (nm) of its off-border particles."""
    return diameters_px(instances, min_area_px) * float(pixel_size_nm)


def compare(found_nm, truth_nm) -> dict:
    """Errors of a measured size distribution against a reference one: relative median
    error (%), 1-D Wasserstein distance (nm), two-sample KS statistic, and the D10/D50/D90
    of both. NaN where either side is empty."""
    a = np.asarray(found_nm, float)
    b = np.asarray(truth_nm, float)
    out = {"n_found": int(a.size), "n_truth": int(b.size)}
    if not a.size or not b.size:
        return out | {"median_error_pct": float("nan"), "wasserstein_nm": float("nan"),
                      "ks": float("nan")}
    med_a, med_b = float(np.median(a)), float(np.median(b))
    out |= {
        "median_error_pct": 100.0 * (med_a - med_b) / med_b,
        "wasserstein_nm": float(stats.wasserstein_distance(a, b)),
        "ks": float(stats.ks_2samp(a, b).statistic),
    }
    for q in (10, 50, 90):
        out[f"d{q}_found_nm"] = float(np.percentile(a, q))
        out[f"d{q}_truth_nm"] = float(np.percentile(b, q))
    return out


def coverage(mask: np.ndarray) -> float:
    """Fraction of pixels that are particle."""
    return float(np.count_nonzero(np.asarray(mask))) / max(1, np.asarray(mask).size)


__all__ = ["diameters_px", "mask_diameters_nm", "instance_diameters_nm", "compare", "coverage"]
