"""From masks and network outputs to particle instances.

The manual masks separate touching particles by one-pixel background lines, so their
4-connected components are the instances. The network predicts three classes
(background, particle interior, boundary); its interior class, read with 8-connectivity,
gives one seed per particle, and a watershed inside the predicted foreground grows the
seeds back over the boundary ring. Foreground that no seed reaches (particles too thin to
have an interior) becomes an instance of its own rather than being lost.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import relabel_sequential, watershed

from ..annotate import BACKGROUND, BOUNDARY, PARTICLE, semantic_mask
from .metrics import drop_small

FOUR = ndi.generate_binary_structure(2, 1)
EIGHT = ndi.generate_binary_structure(2, 2)
# Predicted instances under this many pixels are dropped by default: the threshold under
# which the min20 figures drop instances from both sides, far under the smallest
# particles of the presets (TiO2: 60 nm = 8 px across at 7.3 nm/px, ~50 px in area).
MIN_AREA_PX = 20

__all__ = ["BACKGROUND", "BOUNDARY", "PARTICLE", "mask_to_instances", "semantic_mask",
           "probabilities_to_instances", "interior_seeds", "grow", "semantic_to_instances"]


def mask_to_instances(mask: np.ndarray) -> np.ndarray:
    """Binary mask (any non-zero = particle) -> int32 instance ids, 4-connected."""
    labels, _ = ndi.label(np.asarray(mask) > 0, structure=FOUR)
    return labels.astype(np.int32)


def probabilities_to_instances(probs: np.ndarray, min_seed_px: int = 1, min_area_px: int = 0,
                               boundary_weight: float = 1.0) -> np.ndarray:
    """probs: (3, H, W) class probabilities (or one-hot). Seeds under ``min_seed_px``
    are dropped: a speck of interior inside a boundary ring would split a particle.
    Instances under ``min_area_px`` become background (the size filter of any particle
    analysis): specks of substrate texture or noise that a network calls particle."""
    probs = np.asarray(probs, dtype=np.float32)
    seeds, n = interior_seeds(probs, min_seed_px, boundary_weight)
    return grow(probs, seeds, n, min_area_px)


def interior_seeds(probs: np.ndarray, min_seed_px: int = 1, boundary_weight: float = 1.0) -> tuple[np.ndarray, int]:
    """The interior class's 8-connected components of at least ``min_seed_px`` pixels,
    labelled 1..n: one seed per particle. ``boundary_weight`` > 1 weighs the boundary
    class up in the argmax that finds the interior: the boundary is a thin class the
    network learns to call rarely, and on micrographs unlike its training images it
    leaves a weak but real boundary through the contact of two particles that a plain
    argmax reads as interior, joining them (``necks.choose_weight`` sets it on held-out
    synthetic images). The foreground and the growth stay the plain probabilities'.
    With weight 1 this is the argmax (its ties: background before interior before boundary)."""
    probs = np.asarray(probs)
    interior = (probs[PARTICLE] > probs[BACKGROUND]) & (probs[PARTICLE] >= boundary_weight * probs[BOUNDARY])
    seeds, n = ndi.label(interior, structure=EIGHT)
    if min_seed_px > 1 and n:
        sizes = np.bincount(seeds.ravel(), minlength=n + 1)
        keep = sizes >= min_seed_px
        keep[0] = False
        seeds, n = ndi.label(keep[seeds], structure=EIGHT)
    return seeds, n


def grow(probs: np.ndarray, seeds: np.ndarray, n: int, min_area_px: int = 0) -> np.ndarray:
    """Seeds (labels 1..n) grown over the predicted foreground: flooded from low to high
    boundary probability, 4-connected so that a diagonal one-pixel background line still
    separates; foreground no seed reaches becomes instances of its own."""
    probs = np.asarray(probs, dtype=np.float32)
    foreground = probs.argmax(0) != BACKGROUND
    elevation = probs[BOUNDARY] - probs[PARTICLE]
    labels = watershed(elevation, markers=seeds, mask=foreground, connectivity=1)
    rest, _ = ndi.label(foreground & (labels == 0), structure=FOUR)
    labels = np.where(rest > 0, rest + n, labels)
    if min_area_px > 1 and labels.max():
        labels = relabel_sequential(drop_small(labels, min_area_px))[0]
    return labels.astype(np.int32)


def semantic_to_instances(semantic: np.ndarray) -> np.ndarray:
    """The post-processing applied to a hard 3-class label image (the round-trip check)."""
    sem = np.asarray(semantic)
    onehot = np.stack([sem == c for c in (BACKGROUND, PARTICLE, BOUNDARY)]).astype(np.float32)
    return probabilities_to_instances(onehot)
