"""Annotated and unannotated micrographs as the benchmark sees them.

Two annotated layouts are read, detected from the folder itself:
``real`` (``images/NAME.tif`` + ``masks/NAME_m.tif``, 255 = particle, the layout of the
BAM TiO2 set) and ``synthetic`` (a ``dgan render`` data set: ``images/``, ``instances/``,
``particles/`` with the pixel size). Real micrographs carry the microscope's information
bar at the bottom; it is cropped (detected, or given) so that neither the network nor the
metrics ever see its text. Everything is returned at its own pixel size; callers resample
to the training pixel size with :func:`resample`. Files, pixel sizes, the bar and the
masks' alignment (with or without the bar rows) are the shared reader's
(:mod:`dgan_blender.micrograph`); only the two layouts are this module's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError
from ..micrograph import EXTENSIONS, list_micrographs, iter_all, mask_for, read_mask, read_micrograph
from .instances import mask_to_instances


@dataclass
class Sample:
    """One micrograph, bar already cropped. ``instances`` is None when unannotated;
    ``bar_rows`` is how many bottom rows were cropped (to put outputs back in place)."""

    name: str
    image: np.ndarray
    instances: np.ndarray | None
    pixel_size_nm: float
    path: Path
    bar_rows: int = 0


def detect_layout(root: Path) -> str:
    root = Path(root)
    if (root / "instances").is_dir() and (root / "images").is_dir():
        return "synthetic"
    if (root / "masks").is_dir() and (root / "images").is_dir():
        return "real"
    raise DganError(f"{root}: not an annotated data set; expected images/ with masks/ "
                    "(real, NAME_m.tif) or instances/ (a 'dgan render' output)")


def _mask_path(root: Path, stem: str) -> Path:
    for ext in (".tif", *EXTENSIONS):
        if (root / "masks" / f"{stem}_m{ext}").is_file():
            return root / "masks" / f"{stem}_m{ext}"
    return root / "masks" / f"{stem}_m.tif"


def _real(root: Path, names, bar_rows, pixel_size_nm, log) -> list[Sample]:
    out = []
    for m in iter_all(root / "images", pixel_size_nm, bar_rows, names, log=log):
        mask_path = _mask_path(root, m.path.stem)
        if not mask_path.exists():
            raise DganError(f"{mask_path}: missing mask for {m.path.name}; add it or remove the image")
        mask = mask_for(read_mask(mask_path), mask_path, m)
        out.append(Sample(m.path.stem, m.uint8(), mask_to_instances(mask), m.pixel_size_nm, m.path, m.bar_rows))
    return out


def _synthetic(root: Path, names, pixel_size_nm) -> list[Sample]:
    from ..io import read_png

    out = []
    for path in list_micrographs(root / "images", names):
        inst_path = root / "instances" / f"{path.stem}.png"
        if not inst_path.exists():
            raise DganError(f"{inst_path}: missing instance mask for {path.name}; re-run 'dgan render'")
        px = _synthetic_pixel_size(root / "particles" / f"{path.stem}.json", pixel_size_nm)
        image = read_micrograph(path, bar_rows=0).uint8()
        out.append(Sample(path.stem, image, read_png(inst_path).astype(np.int32), px, path, 0))
    return out


def _synthetic_pixel_size(record_path: Path, fallback: float | None) -> float:
    """From the sample's particles JSON, else from the preset it names."""
    try:
        rec = json.loads(record_path.read_text())
    except (OSError, json.JSONDecodeError):
        if fallback:
            return fallback
        raise DganError(f"{record_path}: missing or unreadable; pass --pixel-size-nm NM") from None
    if rec.get("pixel_size_nm"):
        return float(rec["pixel_size_nm"])
    from ..config import load_config

    return load_config(rec.get("preset") or "tio2-sem").image.pixel_size_nm


def load_annotated(root: Path, names=None, bar_rows: int | None = None,
                   pixel_size_nm: float | None = None, log=None) -> list[Sample]:
    """All (or the named) annotated samples of a real or synthetic folder.
    ``pixel_size_nm`` overrides the real micrographs' metadata (as on every command);
    for a synthetic set it only stands in for a missing particles record."""
    root = Path(root)
    if detect_layout(root) == "real":
        return _real(root, names, bar_rows, pixel_size_nm, log)
    return _synthetic(root, names, pixel_size_nm)


def load_images(root: Path, bar_rows: int | None = None,
                pixel_size_nm: float | None = None, log=None) -> list[Sample]:
    """Unannotated micrographs from ROOT/images or ROOT itself."""
    root = Path(root)
    folder = root / "images" if (root / "images").is_dir() else root
    return [Sample(m.path.stem, m.uint8(), None, m.pixel_size_nm, m.path, m.bar_rows)
            for m in iter_all(folder, pixel_size_nm, bar_rows, log=log)]


def resample(array: np.ndarray, factor: float, labels: bool = False) -> np.ndarray:
    """Scale by ``factor`` (new size = old size x factor); labels by nearest neighbour."""
    if abs(factor - 1.0) < 1e-6:
        return array
    h, w = array.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    if labels:
        return cv2.resize(array.astype(np.int32).astype(np.float32), size,
                          interpolation=cv2.INTER_NEAREST).astype(np.int32)
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(array, size, interpolation=interp)


def normalise(image: np.ndarray) -> np.ndarray:
    """Per-image zero mean, unit variance: synthetic and real grey levels differ in
    offset and gain, and the network should not have to learn that."""
    x = np.asarray(image, np.float32)
    return (x - x.mean()) / max(float(x.std()), 1e-3)
