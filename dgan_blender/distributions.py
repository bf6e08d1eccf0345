"""Size distributions in nm, truncated to [min_nm, max_nm] by resampling.

``cdf`` gives the truncated distribution's CDF so tests can KS-test the sampler.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .config import SizeDistribution
from .errors import ConfigError


def _frozen(d: SizeDistribution):
    if d.kind == "lognormal":
        return stats.lognorm(s=max(d.sigma_log, 1e-12), scale=d.median_nm)
    if d.kind == "gaussian":
        return stats.norm(loc=d.mean_nm, scale=max(d.std_nm, 1e-12))
    if d.kind == "uniform":
        return stats.uniform(loc=d.min_nm, scale=d.max_nm - d.min_nm)
    raise ValueError(d.kind)


def _raw(d: SizeDistribution, n: int, rng: np.random.Generator) -> np.ndarray:
    if d.kind == "fixed":
        return np.full(n, d.mean_nm)
    if d.kind == "bimodal":
        w = np.asarray(d.weights, float)
        which = rng.choice(len(d.modes), size=n, p=w / w.sum())
        out = np.empty(n)
        for k, mode in enumerate(d.modes):
            idx = np.flatnonzero(which == k)
            out[idx] = sample_sizes(mode, len(idx), rng)
        return out
    if d.kind == "lognormal":
        return d.median_nm * np.exp(d.sigma_log * rng.standard_normal(n))
    if d.kind == "gaussian":
        return d.mean_nm + d.std_nm * rng.standard_normal(n)
    return rng.uniform(d.min_nm, d.max_nm, n)


def sample_sizes(d: SizeDistribution, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(0)
    for _ in range(100):
        x = _raw(d, max(n - len(out), 0) * 2 + 8, rng)
        x = x[(x >= d.min_nm) & (x <= d.max_nm)]
        out = np.concatenate([out, x])[:n]
        if len(out) >= n:
            return out
    raise ConfigError(f"size distribution ({d.kind}) puts almost nothing inside min_nm={d.min_nm}.."
                      f"max_nm={d.max_nm}; widen the limits")


def cdf(d: SizeDistribution, x: np.ndarray) -> np.ndarray:
    """CDF of the truncated distribution."""
    x = np.asarray(x, float)
    if d.kind == "fixed":
        return (x >= d.mean_nm).astype(float)
    if d.kind == "bimodal":
        w = np.asarray(d.weights, float) / np.sum(d.weights)
        # each mode is truncated to its own limits when sampled, then the mixture to d's
        mix = sum(wk * _truncated_cdf(m, np.clip(x, d.min_nm, d.max_nm)) for wk, m in zip(w, d.modes))
        lo = sum(wk * _truncated_cdf(m, d.min_nm) for wk, m in zip(w, d.modes))
        hi = sum(wk * _truncated_cdf(m, d.max_nm) for wk, m in zip(w, d.modes))
        return np.clip((mix - lo) / (hi - lo), 0, 1)
    return _truncated_cdf(d, x)


def _truncated_cdf(d: SizeDistribution, x) -> np.ndarray:
    f = _frozen(d)
    lo, hi = f.cdf(d.min_nm), f.cdf(d.max_nm)
    return np.clip((f.cdf(np.clip(x, d.min_nm, d.max_nm)) - lo) / (hi - lo), 0, 1)


_MOMENTS: dict[tuple[str, int], float] = {}


def moment(d: SizeDistribution, k: int = 1) -> float:
    """E[size^k] in nm^k of the truncated distribution, by quadrature of its CDF:
    exact and seed-free, so derived particle counts never consume random numbers.
    Remembered per distribution (every layout of a data set asks for the same one)."""
    key = (repr(d), int(k))
    if key not in _MOMENTS:
        if len(_MOMENTS) > 256:
            _MOMENTS.clear()
        _MOMENTS[key] = _moment(d, k)
    return _MOMENTS[key]


def _moment(d: SizeDistribution, k: int) -> float:
    if d.kind == "fixed":
        return float(np.clip(d.mean_nm, d.min_nm, d.max_nm)) ** k
    x = np.linspace(d.min_nm, min(d.max_nm, _upper(d)), 4001)
    p = np.gradient(cdf(d, x), x)
    return float(np.trapz(p * x ** k, x) / max(np.trapz(p, x), 1e-12))


def mean_size(d: SizeDistribution) -> float:
    """E[size] in nm (wire counts from coverage: area = length x diameter)."""
    return moment(d, 1)


def mean_square(d: SizeDistribution) -> float:
    """E[size^2] in nm^2 (particle counts from area coverage: pi/4 E[d^2] each)."""
    return moment(d, 2)


def _upper(d: SizeDistribution) -> float:
    if d.kind == "bimodal":
        return max(_upper(m) for m in d.modes)
    if d.kind == "lognormal":
        return d.median_nm * np.exp(8 * d.sigma_log)
    if d.kind == "gaussian":
        return d.mean_nm + 8 * d.std_nm
    return d.max_nm
