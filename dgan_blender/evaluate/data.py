"""Annotated and unannotated micrographs as the benchmark sees them.

Two annotated layouts are read, detected from the folder itself:
``real`` (``images/NAME.tif`` + ``masks/NAME_m.tif``, 255 = particle, the layout of the
BAM TiO2 set) and ``synthetic`` (a ``dgan render`` data set: ``images/``, ``instances/``,
``particles/`` with the pixel size). Real micrographs carry the microscope's information
bar at the bottom; it is cropped (detected, or given) so that neither the network nor the
metrics ever see its text. Everything is returned at its own pixel size; callers resample
to the training pixel size with :func:`resample`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError
from .instances import mask_to_instances

IMAGE_SUFFIXES = (".tif", ".tiff", ".png")
UNIT_NM = {"nm": 1.0, "pm": 1e-3, "µm": 1e3, "um": 1e3, "μm": 1e3, "mm": 1e6}


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


def detect_bar_rows(image: np.ndarray, min_fraction: float = 0.75) -> int:
    """Height of the information bar: the bottom block of rows that are mostly one
    extreme grey value (black or white) with some text on it. Searched in the bottom
    third only; a row of real sample texture is never that flat."""
    img = np.asarray(image)
    h = img.shape[0]
    flat = np.zeros(h, bool)
    for r in range(h - h // 3, h):
        values, counts = np.unique(img[r], return_counts=True)
        k = counts.argmax()
        v = float(values[k]) / (255.0 if img.dtype == np.uint8 else float(img.max() or 1))
        flat[r] = counts[k] >= min_fraction * img.shape[1] and (v <= 0.04 or v >= 0.96)
    for r in range(h - h // 3, h - 4):
        if flat[r] and flat[r:].mean() >= 0.8:
            return h - r
    return 0


def to_uint8_grey(image: np.ndarray, path: Path) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim == 3:
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2GRAY) if img.shape[2] >= 3 else img[..., 0]
    if img.ndim != 2:
        raise DganError(f"{path}: expected a greyscale image, got shape {img.shape}")
    if img.dtype == np.uint8:
        return img
    img = img.astype(np.float64)
    lo, hi = float(img.min()), float(img.max())
    return np.zeros(img.shape, np.uint8) if hi <= lo else np.rint((img - lo) / (hi - lo) * 255).astype(np.uint8)


def read_micrograph(path: Path) -> tuple[np.ndarray, float | None]:
    """Grey uint8 image and the pixel size in nm from the TIFF's SEM metadata (Zeiss
    CZ_SEM), or None when the file does not say."""
    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        try:
            with tifffile.TiffFile(path) as tif:
                image = tif.asarray()
                meta = tif.sem_metadata or {}
        except (OSError, ValueError, tifffile.TiffFileError) as exc:
            raise DganError(f"{path}: not a readable TIFF ({exc})") from None
        px = None
        entry = meta.get("ap_image_pixel_size") or meta.get("ap_pixel_size")
        if isinstance(entry, tuple) and len(entry) >= 3 and str(entry[2]) in UNIT_NM:
            px = float(entry[1]) * UNIT_NM[str(entry[2])]
        return to_uint8_grey(image, path), px
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DganError(f"{path}: not a readable image; give a TIFF or PNG micrograph")
    return to_uint8_grey(image, path), None


def _real(root: Path, names, bar_rows, pixel_size_nm) -> list[Sample]:
    out = []
    for path in _image_files(root / "images", names):
        mask_path = root / "masks" / f"{path.stem}_m.tif"
        if not mask_path.exists():
            raise DganError(f"{mask_path}: missing mask for {path.name}; add it or remove the image")
        image, px = read_micrograph(path)
        mask, _ = read_micrograph(mask_path)
        if mask.shape != image.shape:
            raise DganError(f"{mask_path}: shape {mask.shape} differs from its image {image.shape}")
        px = px or pixel_size_nm
        if not px:
            raise DganError(f"{path}: no pixel size in the TIFF metadata; pass --pixel-size NM")
        bar = detect_bar_rows(image) if bar_rows is None else bar_rows
        h = image.shape[0] - bar
        out.append(Sample(path.stem, image[:h], mask_to_instances(mask[:h]), px, path, bar))
    return out


def _synthetic(root: Path, names, pixel_size_nm) -> list[Sample]:
    from ..io import read_png

    out = []
    for path in _image_files(root / "images", names):
        inst_path = root / "instances" / f"{path.stem}.png"
        if not inst_path.exists():
            raise DganError(f"{inst_path}: missing instance mask for {path.name}; re-run 'dgan render'")
        px = _synthetic_pixel_size(root / "particles" / f"{path.stem}.json", pixel_size_nm)
        image = to_uint8_grey(read_png(path), path)
        out.append(Sample(path.stem, image, read_png(inst_path).astype(np.int32), px, path, 0))
    return out


def _synthetic_pixel_size(record_path: Path, fallback: float | None) -> float:
    """From the sample's particles JSON, else from the preset it names."""
    try:
        rec = json.loads(record_path.read_text())
    except (OSError, json.JSONDecodeError):
        if fallback:
            return fallback
        raise DganError(f"{record_path}: missing or unreadable; pass --pixel-size NM") from None
    if rec.get("pixel_size_nm"):
        return float(rec["pixel_size_nm"])
    from ..config import load_config

    return load_config(rec.get("preset") or "tio2-sem").image.pixel_size_nm


def _image_files(folder: Path, names=None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
                   and not p.name.startswith(".")) if folder.is_dir() else []
    if names is not None:
        by_stem = {p.stem: p for p in files}
        missing = [n for n in names if n not in by_stem]
        if missing:
            raise DganError(f"{folder}: no image named {', '.join(missing[:5])}; check the split")
        files = [by_stem[n] for n in names]
    if not files:
        raise DganError(f"{folder}: no .tif/.png images found; point to a folder of micrographs")
    return files


def load_annotated(root: Path, names=None, bar_rows: int | None = None,
                   pixel_size_nm: float | None = None) -> list[Sample]:
    """All (or the named) annotated samples of a real or synthetic folder.
    ``pixel_size_nm`` is a fallback for files that do not record their own."""
    root = Path(root)
    if detect_layout(root) == "real":
        return _real(root, names, bar_rows, pixel_size_nm)
    return _synthetic(root, names, pixel_size_nm)


def load_images(root: Path, bar_rows: int | None = None,
                pixel_size_nm: float | None = None) -> list[Sample]:
    """Unannotated micrographs from ROOT/images or ROOT itself."""
    root = Path(root)
    folder = root / "images" if (root / "images").is_dir() else root
    out = []
    for path in _image_files(folder):
        image, px = read_micrograph(path)
        px = px or pixel_size_nm
        if not px:
            raise DganError(f"{path}: no pixel size in the image metadata; pass --pixel-size NM")
        bar = detect_bar_rows(image) if bar_rows is None else bar_rows
        out.append(Sample(path.stem, image[:image.shape[0] - bar], None, px, path, bar))
    return out


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
