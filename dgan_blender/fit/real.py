"""Real micrographs for the fit: read (by :mod:`dgan_blender.micrograph`, the reader
every command shares), bring to the preset's pixel size, cut into patches that contain
particles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError
from ..micrograph import iter_all


@dataclass
class RealImage:
    path: Path
    image: np.ndarray  # float32 0..1, information bar removed, at the target pixel size
    pixel_size_nm: float | None


def load_real(source: str | Path, target_nm: float, pixel_size_nm: float | None = None,
              crop_bottom_px: int | None = None, min_size_px: int = 256, flag: str = "--pixel-size-nm",
              log=None) -> list[RealImage]:
    """Every micrograph of a folder or glob without its bar, resampled to ``target_nm``.
    ``pixel_size_nm`` (the user's) overrides the metadata, as on every command."""
    out = []
    for m in iter_all(source, pixel_size_nm, crop_bottom_px, flag=flag, log=log):
        img, px = m.image, m.pixel_size_nm
        if abs(px - target_nm) / target_nm > 1e-3:
            f = px / target_nm
            img = cv2.resize(img, (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f))),
                             interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        if min(img.shape) < min_size_px:
            raise DganError(f"{m.path}: {img.shape[1]}x{img.shape[0]} px at {target_nm} nm/px is smaller than a "
                            f"{min_size_px} px patch; use larger images or a smaller patch")
        out.append(RealImage(m.path, img.astype(np.float32), px))
    return out


def foreground_fraction(patch: np.ndarray, threshold: float, bright: bool = True) -> float:
    """Share of the patch on the particles' side of ``threshold``."""
    return float((patch > threshold).mean() if bright else (patch <= threshold).mean())


def otsu_threshold(images: list[np.ndarray]) -> float:
    sample = np.concatenate([im[::4, ::4].ravel() for im in images])
    t, _ = cv2.threshold(np.clip(sample * 255, 0, 255).astype(np.uint8)[None], 0, 255,
                         cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t) / 255.0


def bright_particles(images: list[np.ndarray], threshold: float) -> bool:
    """Whether particles are the bright side of ``threshold``: particles cover less of a
    field than the ground, so they are the minority side - bright in secondary-electron
    images, dark in transmission ones."""
    sample = np.concatenate([im[::4, ::4].ravel() for im in images])
    return bool((sample > threshold).mean() <= 0.5)


def patches_with_particles(images: list[np.ndarray], size: int, count: int, rng: np.random.Generator,
                           min_fg: float = 0.03, tries: int = 50) -> np.ndarray:
    """``count`` random patches (N, size, size) whose Otsu foreground (the particles'
    side, bright or dark) covers at least ``min_fg``, with random flips and 90-degree
    rotations."""
    thr = otsu_threshold(images)
    bright = bright_particles(images, thr)
    out = []
    for _ in range(count):
        best, best_fg = None, -1.0
        for _ in range(tries):
            im = images[rng.integers(len(images))]
            y = rng.integers(0, im.shape[0] - size + 1)
            x = rng.integers(0, im.shape[1] - size + 1)
            p = im[y:y + size, x:x + size]
            fg = foreground_fraction(p, thr, bright)
            if fg > best_fg:
                best, best_fg = p, fg
            if fg >= min_fg:
                break
        out.append(augment(best, rng))
    return np.stack(out).astype(np.float32)


def augment(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = np.rot90(p, int(rng.integers(4)))
    if rng.random() < 0.5:
        p = p[:, ::-1]
    return np.ascontiguousarray(p)
