"""Scoring a segmentation of one detector's micrographs with the manual masks of another
detector's twin images of the same fields (the BAM TSEM fields and their SEM masks).

The twins are offset by some pixels, so each pair is registered on the bar-free frames
(:func:`.register.shift_between`) and both the image and the moved mask are cut to the
rectangle the two frames share: no row or column of border fill is scored, and particles
the cut crosses are border particles, left out of the size statistics as at any image
border. How far the moved mask can be trusted is measured, not assumed: its IoU with the
image's own Otsu foreground, beside the same figure without the shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError
from ..micrograph import read_micrograph
from .data import Sample, load_annotated
from .instances import mask_to_instances
from .register import shift_between


def overlap(shape: tuple[int, int], dy: int, dx: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """(fixed, moving) index pairs of the region both frames of ``shape`` show once the
    moving frame is moved by (dy, dx): ``fixed[a]`` lies on ``moving[b]`` pixel for pixel."""
    h, w = shape
    if abs(dy) >= h or abs(dx) >= w:
        raise DganError(f"shift ({dy}, {dx}) px leaves no overlap in a {h} x {w} frame; the pair is not twins")
    rows = slice(max(0, dy), min(h, h + dy))
    cols = slice(max(0, dx), min(w, w + dx))
    src = (slice(rows.start - dy, rows.stop - dy), slice(cols.start - dx, cols.stop - dx))
    return (rows, cols), src


def minority_foreground(image: np.ndarray) -> np.ndarray:
    """Otsu's split of a lightly smoothed image, the side that covers less of it: the
    particles, bright in SE images and dark in transmission ones (as the fit reads them)."""
    im = cv2.GaussianBlur(np.asarray(image, np.uint8), (0, 0), 1.0)
    t, _ = cv2.threshold(im, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = im > t
    return bright if bright.mean() <= 0.5 else ~bright


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


@dataclass
class Twin:
    """One scored field: ``image`` (uint8) and ``mask`` (the twin's, moved onto it) cut to
    their common region ``box`` (y0, y1, x0, x1 in the bar-free image)."""

    name: str
    twin: str
    image: np.ndarray
    mask: np.ndarray
    pixel_size_nm: float
    path: Path
    shift: tuple[int, int]
    box: tuple[int, int, int, int]
    otsu_iou: float  # the moved mask vs the image's Otsu foreground
    otsu_iou_unregistered: float  # the same region, the mask not moved

    def sample(self) -> Sample:
        """The field as an annotated sample for :func:`.run.score`."""
        return Sample(self.name, self.image, mask_to_instances(self.mask), self.pixel_size_nm, self.path, 0)

    def record(self) -> dict:
        y0, y1, x0, x1 = self.box
        return {"name": self.name, "twin": self.twin, "shift_px": list(self.shift), "box": list(self.box),
                "scored_px": (y1 - y0) * (x1 - x0), "otsu_iou": round(self.otsu_iou, 4),
                "otsu_iou_unregistered": round(self.otsu_iou_unregistered, 4)}


def pair(name: str, image: np.ndarray, twin_name: str, twin_image: np.ndarray, twin_mask: np.ndarray,
         pixel_size_nm: float, path: Path = Path()) -> Twin:
    """Registers ``twin_image`` (with its ``twin_mask``) onto ``image`` and cuts both to the
    region they share; frames of different heights (information bars) are compared on
    their common top rows."""
    h = min(image.shape[0], twin_image.shape[0])
    if image.shape[1] != twin_image.shape[1]:
        raise DganError(f"{path}: {image.shape[1]} px wide, its twin {twin_name} {twin_image.shape[1]} px; "
                        "twins must be frames of one size")
    image, twin_image, twin_mask = image[:h], twin_image[:h], np.asarray(twin_mask)[:h] > 0
    dy, dx = shift_between(image, twin_image)
    dst, src = overlap((h, image.shape[1]), dy, dx)
    crop, moved, still = image[dst], twin_mask[src], twin_mask[dst]
    fg = minority_foreground(crop)
    return Twin(name, twin_name, np.ascontiguousarray(crop), moved, float(pixel_size_nm), Path(path), (dy, dx),
                (dst[0].start, dst[0].stop, dst[1].start, dst[1].stop), iou(moved, fg), iou(still, fg))


def load_twins(images: Path, annotated: Path, pairs: list[tuple[str, str]],
               pixel_size_nm: float | None = None, log=None) -> list[Twin]:
    """``pairs`` (image stem in ``images``, twin stem in the annotated folder ``annotated``,
    the real layout): every field registered and cut (information bars dropped by the
    micrograph reader)."""
    out = []
    for name, twin_name in pairs:
        path = Path(images) / f"{name}.tif"
        if not path.is_file():
            matches = sorted(Path(images).glob(f"{name}.*"))
            if not matches:
                raise DganError(f"{images}: no image named {name}; check the pairs")
            path = matches[0]
        m = read_micrograph(path, pixel_size_nm)
        if not m.pixel_size_nm:
            raise DganError(f"{path}: no pixel size in its metadata; give the pixel size")
        (t,) = load_annotated(annotated, [twin_name], pixel_size_nm=pixel_size_nm, log=log)
        out.append(pair(name, m.uint8(), twin_name, t.image, t.instances, m.pixel_size_nm, path))
    return out


__all__ = ["Twin", "iou", "load_twins", "minority_foreground", "overlap", "pair"]
