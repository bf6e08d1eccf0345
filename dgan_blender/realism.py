"""How real do synthetic images look, without downloaded network weights.

The main figure is the sliced Wasserstein distance (SWD) between 7x7 patches of the
Laplacian pyramids of two image sets (Karras et al. 2018, as used for GAN evaluation):
it compares local texture, edges and noise at several scales. The grey-level histogram
distance and the radially averaged power-spectrum distance are reported beside it.
"""

from __future__ import annotations

import cv2
import numpy as np

LEVELS = 4
PATCH = 7
PATCHES_PER_IMAGE = 128
PROJECTIONS = 128


def _pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    out, cur = [], img.astype(np.float32)
    for _ in range(levels - 1):
        down = cv2.pyrDown(cur)
        up = cv2.pyrUp(down, dstsize=(cur.shape[1], cur.shape[0]))
        out.append(cur - up)
        cur = down
    out.append(cur)
    return out


def _descriptors(images: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    per_level: list[list[np.ndarray]] = [[] for _ in range(LEVELS)]
    for img in images:
        for lvl, band in enumerate(_pyramid(img, LEVELS)):
            h, w = band.shape
            if h < PATCH or w < PATCH:
                continue
            ys = rng.integers(0, h - PATCH + 1, PATCHES_PER_IMAGE)
            xs = rng.integers(0, w - PATCH + 1, PATCHES_PER_IMAGE)
            idx = np.arange(PATCH)
            patches = band[ys[:, None, None] + idx[None, :, None], xs[:, None, None] + idx[None, None, :]]
            per_level[lvl].append(patches.reshape(len(ys), -1))
    return [np.concatenate(p) if p else np.zeros((0, PATCH * PATCH)) for p in per_level]


def _swd(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> float:
    n = min(len(a), len(b))
    if len(a) > n:
        a = a[rng.permutation(len(a))[:n]]
    if len(b) > n:
        b = b[rng.permutation(len(b))[:n]]
    # Per channel (one grey channel per level), as Karras et al., but with the reference
    # set's mean and std for both sets: normalising each set by its own statistics would
    # hide exactly the contrast and noise-level differences a fit has to correct.
    mu, sd = a.mean(), a.std() + 1e-6
    a, b = (a - mu) / sd, (b - mu) / sd
    proj = rng.standard_normal((a.shape[1], PROJECTIONS))
    proj /= np.linalg.norm(proj, axis=0, keepdims=True)
    pa, pb = np.sort(a @ proj, axis=0), np.sort(b @ proj, axis=0)
    return float(np.abs(pa - pb).mean())


def histogram_distance(a: list[np.ndarray], b: list[np.ndarray], bins: int = 64) -> float:
    """Earth mover's distance between the grey-level histograms (0..1 units)."""
    ha = np.histogram(np.concatenate([x.ravel() for x in a]), bins, (0, 1))[0].astype(float)
    hb = np.histogram(np.concatenate([x.ravel() for x in b]), bins, (0, 1))[0].astype(float)
    return float(np.abs(np.cumsum(ha / ha.sum()) - np.cumsum(hb / hb.sum())).sum() / bins)


def _radial_spectrum(img: np.ndarray, nbins: int = 32) -> np.ndarray:
    f = np.abs(np.fft.fftshift(np.fft.fft2(img - img.mean()))) ** 2
    h, w = img.shape
    yy, xx = np.indices((h, w))
    r = np.hypot(yy - h / 2, xx - w / 2) / (min(h, w) / 2)
    idx = np.clip((r * nbins).astype(int), 0, nbins)
    spec = np.bincount(idx.ravel(), f.ravel(), nbins + 1)[:nbins] / np.maximum(np.bincount(idx.ravel(), None, nbins + 1)[:nbins], 1)
    return np.log10(spec + 1e-12)


def spectrum_distance(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Mean absolute difference of log radial power spectra (decades)."""
    sa = np.mean([_radial_spectrum(x) for x in a], axis=0)
    sb = np.mean([_radial_spectrum(x) for x in b], axis=0)
    return float(np.abs(sa - sb).mean())


def realism(real: list[np.ndarray], synthetic: list[np.ndarray], seed: int = 0) -> dict:
    """Images as float arrays in 0..1 (same pixel size). ``realism`` is the SWD averaged
    over pyramid levels (lower is more real; identical sets give ~0)."""
    if not real or not synthetic:
        raise ValueError("realism needs at least one real and one synthetic image")
    # The same patch positions and projections for both sets: identical sets give 0.
    da = _descriptors(real, np.random.default_rng([seed, 0]))
    db = _descriptors(synthetic, np.random.default_rng([seed, 0]))
    per_level = [_swd(x, y, np.random.default_rng([seed, 1, lvl])) * 1e3
                 for lvl, (x, y) in enumerate(zip(da, db)) if len(x) and len(y)]
    return {
        "realism": float(np.mean(per_level)),
        "swd_levels": [round(v, 4) for v in per_level],
        "histogram": histogram_distance(real, synthetic),
        "spectrum": spectrum_distance(real, synthetic),
        "n_real": len(real),
        "n_synthetic": len(synthetic),
    }
