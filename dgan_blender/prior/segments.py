"""Particles in a foreground mask: the ones that can be trusted as they are, and a split
of touching ones whose scale the trusted ones set.

A threshold merges touching particles into one blob. Components that are off the
border and convex (solidity high) are single particles with few exceptions; their
median radius sets the depth a distance-transform maximum must have (h-maxima) to seed
a particle of its own, so a neck between two particles splits a blob and a particle's
own rough outline does not. The same estimator runs on real masks and on synthetic
footprints, which is what lets ``calibrate`` measure and remove its remaining bias.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi
from skimage.measure import regionprops
from skimage.segmentation import watershed

from ..evaluate.necks import deep_maxima

MIN_AREA_PX = 20
SOLID = 0.9  # a convex blob: a single particle
H_FRACTION = 0.25  # seed depth as a fraction of the single particles' median radius (px)
EIGHT = np.ones((3, 3), bool)


@dataclass
class Measured:
    """What one foreground mask shows (sizes in px)."""

    diameters_px: np.ndarray  # equivalent diameters of the split particles, off the border, >= MIN_AREA_PX
    single_px: np.ndarray  # equivalent diameters of the trusted single particles
    elongation: np.ndarray  # major/minor axis of the trusted single particles
    polygon_vertices: np.ndarray  # corners of the trusted single particles' outlines
    roundness: np.ndarray  # isoperimetric quotient over that of the particle's own ellipse (1: an ellipse)
    split_elongation: np.ndarray  # major/minor axis of the convex split particles (where singles are few)
    per_component: np.ndarray  # particles per off-border component (agglomerate size)
    component_solidity: np.ndarray  # solidity of off-border components with >= 4 particles
    coverage: float
    labels: np.ndarray = field(repr=False, default=None)  # split particles (int32)
    wire_aspect: np.ndarray = field(default_factory=lambda: np.zeros(0))  # skeleton length / width per component
    wire_width_px: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wire_length_px: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _off_border(lab: np.ndarray) -> np.ndarray:
    keep = np.ones(lab.max() + 1, bool)
    edge = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    keep[np.unique(edge)] = False
    keep[0] = False
    return keep


def single_particles(fg: np.ndarray) -> tuple[np.ndarray, list]:
    """Equivalent diameters (px) and regionprops of the convex off-border components."""
    lab, _ = ndi.label(fg, structure=EIGHT)
    off = _off_border(lab)
    props = [r for r in regionprops(lab) if off[r.label] and r.area >= MIN_AREA_PX and r.solidity >= SOLID]
    return np.array([r.equivalent_diameter_area for r in props]), props


def crevices(prep: np.ndarray, fg: np.ndarray, radius_px: float) -> np.ndarray:
    """Dark seams inside the foreground: where two particles meet, the SEM shows a narrow
    dark crevice (shadowing contrast) a threshold cannot see. Black top-hat of the
    particles-bright image with a disc of a quarter of the particle radius (narrow
    lines only, not a particle's broad darker face); a seam is a response above the
    Otsu split of the responses inside the foreground, and deeper than the foreground
    threshold's distance to the ground level (a real gap, not texture)."""
    r = max(1, int(round(radius_px / 4)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    se = xx ** 2 + yy ** 2 <= r * r
    bth = ndi.grey_closing(prep, footprint=se) - prep
    vals = bth[fg]
    if vals.size < 16:
        return np.zeros(fg.shape, bool)
    import cv2

    hi = float(np.percentile(vals, 99.9)) or 1.0
    q = np.clip(vals / hi * 255, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(q.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return fg & (bth > t / 255.0 * hi)


def split(fg: np.ndarray, radius_px: float, cuts: np.ndarray | None = None) -> np.ndarray:
    """Distance-transform watershed with h-maxima seeds of depth H_FRACTION * radius;
    ``cuts`` (seams between particles) are taken out of the mask the distances are
    measured in, then flooded back."""
    inner = fg & ~cuts if cuts is not None else fg
    dist, seeds, _ = deep_maxima(inner, max(1.0, H_FRACTION * float(radius_px)))
    lab = watershed(-dist, seeds, mask=fg)
    rest, _ = ndi.label(fg & (lab == 0), structure=EIGHT)
    return np.where(rest > 0, rest + lab.max(), lab).astype(np.int32)


def corners(region, tolerance: float = 0.04) -> int:
    """Corners of a particle's outline: the vertices of its Douglas-Peucker polygon at a
    tolerance of ``tolerance`` x its equivalent diameter (a disc gives many short
    sides with no corners, a faceted particle few long ones)."""
    import cv2

    img = np.pad(region.image.astype(np.uint8), 2)
    cs, _ = cv2.findContours(img, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cs:
        return 0
    c = max(cs, key=len)
    return len(cv2.approxPolyDP(c, tolerance * region.equivalent_diameter_area, True))


def roundness(region) -> float:
    """4 pi A / P^2 of the outline over that of the ellipse with the same moments: flat
    sides and corners lower it, an ellipse of any elongation gives ~1."""
    a, b = region.major_axis_length / 2, region.minor_axis_length / 2
    if b <= 0 or region.perimeter <= 0:
        return float("nan")
    h = ((a - b) / (a + b)) ** 2
    p_ell = np.pi * (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))  # Ramanujan
    q = 4 * np.pi * region.area / region.perimeter ** 2
    q_ell = 4 * np.pi * (np.pi * a * b) / p_ell ** 2
    return float(q / q_ell)


def measure(fg: np.ndarray, radius_px: float | None = None, wires: bool = False,
            cuts: np.ndarray | None = None, labels: np.ndarray | None = None) -> Measured:
    """Measure one foreground mask; ``radius_px`` (the single particles' median radius
    over all images) sets the split scale, else this mask's own singles do; ``cuts``:
    seams between particles (``crevices``). ``labels``: particles already split (a
    segmentation network's instances, or a layout's visible parts): measured as given,
    their union is the foreground."""
    if labels is not None:
        labels = np.asarray(labels).astype(np.int32)
        fg = labels > 0
    fg = np.asarray(fg, bool)
    single, props = single_particles(fg)
    if radius_px is None:
        radius_px = float(np.median(single)) / 2 if single.size else 4.0
    lab = split(fg, radius_px, cuts) if labels is None else labels
    area = np.bincount(lab.ravel())
    ok = _off_border(lab) & (area >= MIN_AREA_PX)
    diam = 2.0 * np.sqrt(area[ok] / np.pi)
    comp, _ = ndi.label(fg, structure=EIGHT)
    off_c = _off_border(comp)
    # particles per component: the split labels each component holds
    pairs = np.unique(np.stack([comp[lab > 0], lab[lab > 0]]), axis=1)
    counts = np.bincount(pairs[0], minlength=comp.max() + 1)
    per = counts[off_c & (counts > 0)]
    big = [r.solidity for r in regionprops(comp) if off_c[r.label] and counts[r.label] >= 4]
    elong = np.array([r.major_axis_length / max(r.minor_axis_length, 1e-6) for r in props])
    verts = np.array([corners(r) for r in props])
    rnd = np.array([roundness(r) for r in props])
    off_l = _off_border(lab)
    split_el = np.array([r.major_axis_length / max(r.minor_axis_length, 1e-6) for r in regionprops(lab)
                         if off_l[r.label] and r.area >= MIN_AREA_PX and r.solidity >= SOLID])
    m = Measured(diam, single, elong, verts, rnd, split_el, per, np.array(big), float(fg.mean()), lab)
    if wires:
        m.wire_aspect, m.wire_width_px, m.wire_length_px = wire_measures(comp, off_c)
    return m


def wire_measures(comp: np.ndarray, off: np.ndarray):
    """Skeleton length and mean width (area / length) of each off-border component."""
    from skimage.morphology import skeletonize

    aspect, width, length = [], [], []
    for r in regionprops(comp):
        if not off[r.label] or r.area < MIN_AREA_PX:
            continue
        sk = int(skeletonize(r.image).sum())
        if sk < 2:
            continue
        w = r.area / sk
        aspect.append(sk / max(w, 1e-6))
        width.append(w)
        length.append(sk + w)
    return np.array(aspect), np.array(width), np.array(length)
