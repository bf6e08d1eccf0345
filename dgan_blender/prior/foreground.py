"""Which pixels show particles, from the grey values alone.

SEM fields have a slow background trend (charging, detector tilt) and a dominant
ground: particles cover less than half of a useful field, so they are the histogram's
long tail. Its side (bright or dark) is the contrast polarity; after flipping dark
particles to bright, one Otsu threshold pooled over all images splits particle from
ground (pooled, so an image with few particles does not put its threshold inside the
ground's noise).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi

_TREND_FRACTION = 0.125  # background trend: Gaussian of 1/8 of the field's short side


def _otsu(values: np.ndarray) -> float:
    lo, hi = np.percentile(values, [0.1, 99.9])
    q = np.clip((values - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(q.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(lo + t / 255.0 * (hi - lo))


def detrend(img: np.ndarray) -> np.ndarray:
    """The image less its slow background: the ground's local level, estimated with the
    particles (a first Otsu split, either polarity) masked out, is subtracted."""
    img = np.asarray(img, np.float32)
    med = float(np.median(img))
    t = _otsu(img[::2, ::2].ravel())
    # the ground is the side of the threshold the median lies on
    ground = (img <= t) if med <= t else (img > t)
    # the trend is slow: estimated on an 8x coarser grid, then interpolated back
    f = 8
    small = (max(1, img.shape[1] // f), max(1, img.shape[0] // f))
    g = cv2.resize(ground.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    v = cv2.resize(np.where(ground, img, 0).astype(np.float32), small, interpolation=cv2.INTER_AREA)
    sigma = _TREND_FRACTION * min(small)
    w = ndi.gaussian_filter(g, sigma, mode="reflect")
    v = ndi.gaussian_filter(v, sigma, mode="reflect")
    trend = np.where(w > 1e-3, v / np.maximum(w, 1e-3), med).astype(np.float32)
    trend = cv2.resize(trend, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    return img - trend


def tail_skew(values: np.ndarray) -> float:
    """Bowley-like asymmetry of the far tails about the median, in -1..1: positive when
    the bright tail reaches further than the dark one (bright particles)."""
    p1, p50, p99 = np.percentile(values, [0.5, 50, 99.5])
    up, down = p99 - p50, p50 - p1
    return float((up - down) / max(up + down, 1e-9))


def polarity(images: list[np.ndarray]) -> tuple[str, float]:
    """'bright' (particles brighter than the ground) or 'dark', and the pooled tail skew."""
    vals = np.concatenate([ndi.gaussian_filter(detrend(im), 1.0)[::2, ::2].ravel() for im in images])
    s = tail_skew(vals)
    return ("bright" if s >= 0 else "dark"), s


def prepared(img: np.ndarray, sign: float) -> np.ndarray:
    """Detrended, lightly denoised, particles bright."""
    return sign * ndi.gaussian_filter(detrend(img), 1.0)


def pooled_threshold(prepared_images: list[np.ndarray]) -> float:
    return _otsu(np.concatenate([p[::2, ::2].ravel() for p in prepared_images]))


def foreground(prep: np.ndarray, threshold: float, min_area_px: int = 20) -> np.ndarray:
    """Bool mask: above the threshold, holes under ``min_area_px`` filled (noise inside a
    particle), specks under ``min_area_px`` removed. Larger holes stay: in a dense
    monolayer the ground between three touching particles is one, and filling it
    would weld the cluster into one blob with no necks left to split."""
    fg = prep > threshold
    holes, n = ndi.label(ndi.binary_fill_holes(fg) & ~fg)
    if n:
        small = np.bincount(holes.ravel()) < min_area_px
        small[0] = False
        fg |= small[holes]
    fg = ndi.binary_opening(fg, structure=np.ones((2, 2), bool))
    lab, n = ndi.label(fg)
    if n:
        area = np.bincount(lab.ravel())
        keep = area >= min_area_px
        keep[0] = False
        fg = keep[lab]
    return fg


def separation(prepared_images: list[np.ndarray], threshold: float) -> float:
    """How many ground-noise widths the particle class lies above the ground (pooled)."""
    v = np.concatenate([p[::2, ::2].ravel() for p in prepared_images])
    lo, hi = v[v <= threshold], v[v > threshold]
    if lo.size < 2 or hi.size < 2:
        return 0.0
    return float((np.median(hi) - np.median(lo)) / max(1.4826 * np.median(np.abs(lo - np.median(lo))), 1e-9))

