"""What the real patches show, so synthetic layouts can show the same.

The real patches are drawn "with particles". Layouts drawn from the preset's coverage
range alone may hold fewer particles (on the BAM TiO2 SEM images: 0.09 of the pixels
against 0.13), and no material or noise value can make up for missing particles: a
realism figure on such sets counts content and look together. Layouts whose coverages
follow the real patches' Otsu foreground - the heuristic that chose the patches, no
masks needed - compare looks alone (rendered synthetic images give back their exact
coverage under it: Otsu foreground / mask 1.02 on 96 tio2-sem layouts).

The benchmark's report uses them; ``dgan fit --match-coverage`` fits on them too. Not
the default: one fit on matched layouts (BAM TiO2, seed 0) learned a look further from
the held-out images than the fit on the preset's layouts (190 vs 113 on matched sets).
"""

from __future__ import annotations

import numpy as np

from ..seeds import FIT_CONTENT, stream
from .real import bright_particles, otsu_threshold, patches_with_particles


def real_coverages(images: list[np.ndarray], patch: int, count: int, seed: int) -> np.ndarray:
    """Otsu foreground fraction of ``count`` patches drawn as the fit draws its real
    patches (sorted ascending)."""
    thr = otsu_threshold(images)
    patches = patches_with_particles(images, patch, count, stream(seed, FIT_CONTENT))
    side = patches > thr if bright_particles(images, thr) else patches <= thr
    return np.sort(side.mean(axis=(1, 2)))


def coverage_targets(fractions: np.ndarray, size: int) -> np.ndarray:
    """``size`` coverages that follow the distribution of ``fractions``: its quantiles at
    (i + 0.5) / size, so a small pool spans the range evenly."""
    q = (np.arange(size) + 0.5) / size
    return np.quantile(np.asarray(fractions, float), q)


def pool_coverages(images: list[np.ndarray], patch: int, size: int, seed: int, per_layout: int = 8) -> np.ndarray:
    """Target coverage of each of ``size`` pool layouts, from ``per_layout`` real
    patches per layout (at least 64)."""
    return coverage_targets(real_coverages(images, patch, max(64, per_layout * size), seed), size)


def describe_targets(targets: np.ndarray) -> str:
    """One line for params.toml's meta."""
    t = np.asarray(targets)
    return (f"matched to the real patches' Otsu foreground: median {np.median(t):.3f} "
            f"(10-90 %: {np.quantile(t, 0.1):.3f}-{np.quantile(t, 0.9):.3f})")
