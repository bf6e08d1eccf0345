"""Pixels of any micrograph file as one grey float image.

TIFF goes through tifffile (with imagecodecs, every compression it knows: LZW, deflate,
zstd, PackBits, JPEG, ...); PNG, JPEG and BMP through OpenCV after a check that the
file is whole, because OpenCV decodes a truncated JPEG without an error and libpng
prints to the terminal.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError
from . import metadata

TIFF = (".tif", ".tiff")
OTHER = (".png", ".jpg", ".jpeg", ".bmp")
EXTENSIONS = TIFF + OTHER
_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",), ".bmp": (b"BM",)}
_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)


def read_raw(path: Path) -> tuple[np.ndarray, tuple[float, str] | None]:
    """The stored array (2-D, or H x W x channels; palette applied, white-is-zero
    inverted) and the pixel size in the metadata as ``(nm, source)`` or None."""
    path = Path(path)
    if path.suffix.lower() in TIFF:
        return _read_tiff(path)
    if path.suffix.lower() not in OTHER:
        raise DganError(f"{path}: not a micrograph file; give {'/'.join(e[1:] for e in EXTENSIONS)}")
    data = _file_bytes(path)
    kind = path.suffix.lower()
    whole = (data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82") if kind == ".png"
             else b"\xff\xd9" in data[-1024:] if kind in (".jpg", ".jpeg") else True)
    if not data.startswith(_SIGNATURES[kind]):
        raise DganError(f"{path}: not a {kind[1:].upper()} file (wrong signature); re-export the image")
    if not whole:
        raise DganError(f"{path}: the {kind[1:].upper()} file is truncated; copy or export it again")
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise DganError(f"{path}: cannot decode this {kind[1:].upper()}; re-export it as TIFF or PNG")
    if img.ndim == 3 and img.shape[2] >= 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return img, metadata.hitachi_sidecar(path)


def _file_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise DganError(f"{path}: a folder, not an image file") from None
    except OSError as exc:
        raise DganError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data:
        raise DganError(f"{path}: empty file (0 bytes); copy it again")
    return data


def _read_tiff(path: Path):
    import tifffile

    if not path.is_file() or path.stat().st_size == 0:
        _file_bytes(path)  # the one-line error for a folder, a missing or an empty file
    try:
        with _tifffile_quiet(), tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            img = page.asarray()
            axes, photometric = page.axes, int(page.photometric)
            colormap = page.colormap if photometric == 3 else None
            found = metadata.from_tiff(tif, path)
    except ValueError as exc:
        if "imagecodecs" in str(exc):
            raise DganError(f"{path}: {_one_line(exc)}; install the pinned 'imagecodecs' (pip install -c "
                            "constraints.txt imagecodecs)") from None
        raise DganError(f"{path}: a truncated or damaged TIFF ({_one_line(exc)}); copy or export it again") from None
    except DganError:
        raise
    except Exception as exc:  # noqa: BLE001 - tifffile and the codecs raise many types on damaged files
        raise DganError(f"{path}: not a readable TIFF ({type(exc).__name__}: {_one_line(exc)}); copy or "
                        "export it again") from None
    img = np.asarray(img)
    if "S" in axes and "Y" in axes and axes.index("S") < axes.index("Y") and len(axes) == img.ndim:
        img = np.moveaxis(img, axes.index("S"), -1)  # planar RGB
    if colormap is not None and img.ndim == 2 and np.issubdtype(img.dtype, np.integer):
        cmap = np.asarray(colormap)
        if img.dtype == np.uint8 and cmap.max() > 255:  # 8-bit indices keep an 8-bit scale
            cmap = np.rint(cmap / 257.0).astype(np.uint8)
        grey = (cmap[0] == cmap[1]).all() and (cmap[0] == cmap[2]).all()
        identity = grey and img.dtype == cmap.dtype and np.array_equal(cmap[0], np.arange(cmap.shape[1]))
        if not identity:  # Zeiss writes an identity grey palette: the indices are the image
            idx = np.clip(img, 0, cmap.shape[1] - 1)
            img = cmap[0][idx] if grey else np.moveaxis(cmap[:, idx], 0, -1)
    elif photometric == 0 and img.ndim == 2:  # MINISWHITE: 0 is white
        img = (np.iinfo(img.dtype).max - img) if np.issubdtype(img.dtype, np.unsignedinteger) else -img
    return img, found


@contextlib.contextmanager
def _tifffile_quiet():
    """tifffile logs odd tags and short strips to stderr; a file it cannot read becomes
    our one-line error instead, and one it can read needs no remark."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")


def to_grey(img: np.ndarray, path: Path) -> np.ndarray:
    """Float32 in 0..1. 8- and 16-bit unsigned data keep the instrument's scale
    (value / 255 or / 65535), so a dim image stays dim; other types (signed, 32-bit,
    float outside 0..1) have no agreed full scale and are stretched min..max."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[0] > 4 and img.shape[-1] > 4:
        img = img[0]  # a stack: the first plane is the image
    if img.dtype == bool:
        img = img.astype(np.uint8) * np.uint8(255)
    if img.ndim == 3 and img.shape[-1] in (1, 2):
        img = img[..., 0]  # grey (+ alpha)
    elif img.ndim == 3 and img.shape[-1] in (3, 4):
        scale = _scale(img)
        img = (_as_float(img[..., :3], scale) @ _WEIGHTS)
        return _finish(img, path)
    if img.ndim != 2:
        raise DganError(f"{path}: expected a 2-D grey or RGB image, got shape {img.shape}; give single images")
    scale = _scale(img)
    return _finish(_as_float(img, scale), path)


def _scale(img: np.ndarray) -> float | None:
    if img.dtype in (np.uint8, np.uint16):
        return float(np.iinfo(img.dtype).max)
    if np.issubdtype(img.dtype, np.floating):
        finite = img[np.isfinite(img)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            return 1.0
    return None


def _as_float(img: np.ndarray, scale: float | None) -> np.ndarray:
    x = img.astype(np.float32 if scale is not None else np.float64)
    if np.issubdtype(img.dtype, np.floating) and not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    if scale is not None:
        return x * np.float32(1.0 / scale)
    lo, hi = float(x.min()), float(x.max())
    return np.zeros(x.shape, np.float32) if hi <= lo else ((x - lo) / (hi - lo)).astype(np.float32)


def _finish(img: np.ndarray, path: Path) -> np.ndarray:
    if img.size == 0 or min(img.shape) < 2:
        raise DganError(f"{path}: image of shape {img.shape} is empty or one pixel thin; give a micrograph")
    return np.ascontiguousarray(np.clip(img, 0.0, 1.0), dtype=np.float32)


def to_uint8(grey: np.ndarray, source_dtype: str) -> np.ndarray:
    """8-bit grey: exact for 8-bit sources, stretched min..max for deeper ones (the
    network normalises every image, so only the quantisation matters)."""
    if source_dtype == "uint8":
        return np.rint(grey * 255.0).astype(np.uint8)
    lo, hi = float(grey.min()), float(grey.max())
    if hi <= lo:
        return np.zeros(grey.shape, np.uint8)
    return np.rint((grey - lo) / (hi - lo) * 255.0).astype(np.uint8)
