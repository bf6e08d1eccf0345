"""The micrographs the prior reads: one thin function over the project's one micrograph
reader (:mod:`dgan_blender.micrograph`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np



@dataclass
class Micrograph:
    name: str
    image: np.ndarray  # float32 0..1, information bar removed, native pixel size
    pixel_size_nm: float


def read_micrographs(source: str | Path, pixel_size_nm: float | None = None) -> list[Micrograph]:
    """Every image of a folder (or glob) at its own pixel size (metadata, else the
    caller's); the microscope's information bar cropped."""
    from ..micrograph import iter_all

    return [Micrograph(m.path.name, np.ascontiguousarray(m.image, np.float32), float(m.pixel_size_nm))
            for m in iter_all(source, pixel_size_nm)]
