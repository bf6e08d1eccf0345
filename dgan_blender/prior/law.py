"""Summary statistics of measured particles, the same on real and synthetic masks.

Particles cut by the image border are not measured, and a large one is cut more often:
each measured diameter d (px) in a W x H field is weighted by 1 / P(off border) =
WH / ((W - d)(H - d)), so the statistics describe the particles, not the field size
(real and synthetic fields differ in size). Spreads are robust (IQR / 1.349 of log d)
so a few merged blobs do not set them.
"""

from __future__ import annotations

import numpy as np


def border_weights(d_px: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    d = np.minimum(np.asarray(d_px, float), 0.9 * min(h, w))
    return (w * h) / ((w - d) * (h - d))


def weighted_quantile(x: np.ndarray, q, w: np.ndarray | None = None) -> np.ndarray:
    x = np.asarray(x, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    o = np.argsort(x)
    x, w = x[o], w[o]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def log_moments(d_nm: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted median and robust std of ln(d)."""
    ld = np.log(np.asarray(d_nm, float))
    q25, q50, q75 = weighted_quantile(ld, [0.25, 0.5, 0.75], w)
    return float(q50), float((q75 - q25) / 1.349)


def power_exponent(k: np.ndarray, k_max: int) -> float:
    """Maximum-likelihood exponent a of P(k) ~ k^-a on 1..k_max (agglomerate sizes)."""
    k = np.asarray(k, int)
    k = k[(k >= 1) & (k <= k_max)]
    if not k.size:
        return float("nan")
    support = np.arange(1, k_max + 1)
    grid = np.linspace(0.0, 5.0, 501)
    ll = [-a * np.log(k).sum() - k.size * np.log(np.sum(support ** -a)) for a in grid]
    return float(grid[int(np.argmax(ll))])


def coverage_moments(cov: np.ndarray) -> tuple[float, float]:
    """Mean and std of ln(coverage) per image."""
    lc = np.log(np.clip(np.asarray(cov, float), 1e-4, 1.0))
    return float(lc.mean()), float(lc.std())


def loguniform_from_moments(mu: float, sd: float) -> tuple[float, float]:
    """The log-uniform range with that mean and std of ln(x)."""
    half = np.sqrt(3.0) * sd
    return float(min(np.exp(mu - half), 0.6)), float(min(np.exp(mu + half), 0.6))


def statistics(measured: list, px_nm: list[float], shapes: list[tuple[int, int]], k_max: int) -> dict:
    """The statistics the calibration matches, from ``segments.Measured`` per image."""
    d_nm, w = _sizes_nm([m.diameters_px for m in measured], px_nm, shapes)
    out = {"n": int(d_nm.size)}
    if d_nm.size:
        out["log_median"], out["log_sigma"] = log_moments(d_nm, w)
    cov = np.array([m.coverage for m in measured])
    out["cov_mu"], out["cov_sd"] = coverage_moments(cov)
    per = np.concatenate([m.per_component for m in measured])
    out["agg_exponent"] = power_exponent(per, k_max)
    out["agg_max"] = int(per.max()) if per.size else 1
    el = np.concatenate([m.elongation for m in measured])
    if el.size < 10:  # few isolated particles (a dense monolayer): the convex split ones
        el = np.concatenate([m.split_elongation for m in measured])
    if el.size:
        out["elong_q10"], out["elong_q90"] = (float(v) for v in np.percentile(el, [10, 90]))
    rn = np.concatenate([m.roundness for m in measured])
    rn = rn[np.isfinite(rn)]
    out["roundness"] = float(np.median(rn)) if rn.size else float("nan")
    sol = np.concatenate([m.component_solidity for m in measured])
    out["cluster_solidity"] = float(np.median(sol)) if sol.size else float("nan")
    sd, sw = _sizes_nm([m.single_px for m in measured], px_nm, shapes)
    out["n_single"] = int(sd.size)
    if sd.size:
        out["single_log_median"], out["single_log_sigma"] = log_moments(sd, sw)
    return out


def _sizes_nm(diameters_px: list, px_nm: list[float], shapes: list[tuple[int, int]]):
    """Per-image diameters (px) as one array in nm, and their border weights."""
    d = [np.asarray(x, float) * px for x, px in zip(diameters_px, px_nm)]
    w = [border_weights(x, shp) for x, shp in zip(diameters_px, shapes)]
    return np.concatenate(d), np.concatenate(w)
