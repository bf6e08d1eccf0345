"""Splitting the network's particles at necks, with a depth chosen on synthetic images.

The U-Net's interior class is the seed of each particle; where two touching particles'
interiors join through a neck the boundary class did not cut, they come out as one
(on the BAM TiO2 SEM images: 2394 particles where the masks hold 4294, median size
+18 %; on held-out synthetic images of the same run still 200 of 298). Seeds from the
h-maxima of the interior's distance transform split such necks, as the prior's
estimator splits thresholded blobs (``prior/segments.py``). How deep a maximum must be
is the one free number: ``h`` x the median equivalent radius of the unsplit particles.
It is chosen per model on synthetic images it was not trained on (their exact instance
masks are free), by panoptic quality - never on a user's manual masks.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import h_maxima
from skimage.segmentation import relabel_sequential, watershed

from ..annotate import BACKGROUND, PARTICLE
from .instances import EIGHT, FOUR, MIN_AREA_PX, probabilities_to_instances
from .metrics import drop_small, evaluate_pairs

# candidate depths (fractions of the median particle radius); None: no splitting
GRID: tuple = (None, 0.5, 0.35, 0.25, 0.2, 0.15, 0.1, 0.05)


def split_necks(probs: np.ndarray, h: float | None, min_seed_px: int = 4, min_area_px: int = 0) -> np.ndarray:
    """probs (3, H, W) -> instances; ``h`` None: the plain interior seeds."""
    base = probabilities_to_instances(probs, min_seed_px=min_seed_px, min_area_px=min_area_px)
    if h is None:
        return base
    probs = np.asarray(probs, np.float32)
    cls = probs.argmax(0)
    fg, interior = cls != BACKGROUND, cls == PARTICLE
    areas = np.bincount(base.ravel())[1:]
    areas = areas[areas >= max(min_area_px, MIN_AREA_PX)]
    if not areas.size:
        return base
    depth = max(1.0, h * float(np.sqrt(np.median(areas) / np.pi)))
    dist = ndi.distance_transform_edt(interior)
    comp, _ = ndi.label(interior, structure=EIGHT)
    peaks = np.zeros(fg.shape, bool)
    for i, sl in enumerate(ndi.find_objects(comp), start=1):  # per component: h_maxima sorts its input
        sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
        own = comp[sl] == i
        peaks[sl] |= h_maxima(np.where(own, dist[sl], 0.0), depth).astype(bool) & own
    seeds, n = ndi.label(peaks, structure=EIGHT)
    lab = watershed(-dist, seeds, mask=fg, connectivity=1)
    rest, _ = ndi.label(fg & (lab == 0), structure=FOUR)
    lab = np.where(rest > 0, rest + n, lab)
    if min_area_px > 1 and lab.max():
        lab = relabel_sequential(drop_small(lab, min_area_px))[0]
    return lab.astype(np.int32)


def choose_depth(probs: list[np.ndarray], truths: list[np.ndarray], min_area_px: int = MIN_AREA_PX,
                 grid=GRID) -> tuple[float | None, dict]:
    """The depth with the highest panoptic quality on annotated (synthetic) images, and
    every candidate's DSC/AP50/PQ. Ties go to less splitting (no split, then larger ``h``)."""
    scores = {}
    for h in grid:
        pairs = [(t, split_necks(p, h, min_area_px=min_area_px)) for p, t in zip(probs, truths)]
        m = evaluate_pairs(pairs)
        scores["none" if h is None else f"{h:g}"] = {k: round(float(m[k]), 4) for k in ("dsc", "ap50", "pq")}
    best = max(grid, key=lambda h: (scores["none" if h is None else f"{h:g}"]["pq"], 2.0 if h is None else h))
    return best, scores


def choose_for_model(model, samples, pixel_size_nm: float, min_area_px: int = MIN_AREA_PX) -> tuple[float | None, dict]:
    """``choose_depth`` on annotated samples (a synthetic set the model never saw)."""
    from .run import sample_probabilities

    probs = [sample_probabilities(model, s, pixel_size_nm) for s in samples]
    return choose_depth(probs, [s.instances for s in samples], min_area_px=min_area_px)
