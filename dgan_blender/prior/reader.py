"""The micrographs the prior reads: one thin function over the project's reader, so the
reader can be re-pointed (``fit/real.py`` today) without touching the prior."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DganError


@dataclass
class Micrograph:
    name: str
    image: np.ndarray  # float32 0..1, information bar removed, native pixel size
    pixel_size_nm: float


def read_micrographs(source: str | Path, pixel_size_nm: float | None = None) -> list[Micrograph]:
    """Every image of a folder (or glob) at its own pixel size (metadata, else the
    caller's); the microscope's information bar cropped."""
    from ..fit.real import info_bar_rows, list_images, metadata_pixel_size_nm, read_grey

    out = []
    for path in list_images(source):
        img = read_grey(path)
        bar = info_bar_rows(img)
        if bar:
            img = img[: img.shape[0] - bar]
        px = pixel_size_nm or metadata_pixel_size_nm(path)
        if px is None or not px > 0:
            raise DganError(f"{path}: no pixel size in the image metadata; give --pixel-size-nm")
        out.append(Micrograph(path.name, np.ascontiguousarray(img, np.float32), float(px)))
    return out
