"""Registering two micrographs of one field taken by different detectors (SEM and TSEM
twins), so one's manual mask can score a segmentation of the other.

The two detectors see opposite contrast (bright particles in SE, dark in transmission),
so the images are compared as edge maps (gradient magnitude), which both share, and the
shift is the peak of their phase correlation.
"""

from __future__ import annotations

import cv2
import numpy as np


def _edges(image: np.ndarray) -> np.ndarray:
    im = cv2.GaussianBlur(np.asarray(image, np.float32), (0, 0), 1.5)
    gx = cv2.Sobel(im, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(im, cv2.CV_32F, 0, 1)
    mag = np.hypot(gx, gy)
    return (mag - mag.mean()) / (mag.std() + 1e-12)


def shift_between(fixed: np.ndarray, moving: np.ndarray) -> tuple[int, int]:
    """(rows, columns) to move ``moving`` by so it lies on ``fixed``: whole pixels."""
    a, b = _edges(fixed), _edges(moving)
    window = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(b, a, window)
    return int(round(dy)), int(round(dx))


def shifted(image: np.ndarray, dy: int, dx: int, fill=0) -> np.ndarray:
    """``image`` moved by (dy, dx) whole pixels; uncovered pixels get ``fill``."""
    out = np.full_like(image, fill)
    h, w = image.shape[:2]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = image[ys, xs]
    return out


def valid_region(shape: tuple[int, int], dy: int, dx: int) -> np.ndarray:
    """Pixels that a shift by (dy, dx) fills from the source (not border fill)."""
    return shifted(np.ones(shape, bool), dy, dx, False)
