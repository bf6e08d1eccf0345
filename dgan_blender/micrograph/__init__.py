"""The one micrograph reader: every command that takes real images (fit, realism,
eval, segment) reads them here, so a file, a unit spelling or an information bar is
understood the same way everywhere.

Pixel size precedence, the same on every command: a size the user gives
(``--pixel-size-nm``) is used and overrides the metadata, with one note when the two
disagree by more than 1 %; otherwise the metadata's; otherwise a one-line error naming
the file and the flag. An explicit bar height (``--bar-rows``) likewise wins over the
detected one.
"""

from __future__ import annotations

import glob
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DganError
from .bar import info_bar_rows
from .pixels import EXTENSIONS, read_raw, to_grey, to_uint8
from .units import NM_PER_UNIT, nm_per_unit, to_nm

__all__ = ["EXTENSIONS", "NM_PER_UNIT", "Micrograph", "info_bar_rows", "list_micrographs", "fit_mask",
           "iter_all", "mask_for", "nm_per_unit", "read_all", "read_mask", "read_micrograph", "to_nm", "to_uint8"]

DISAGREE = 0.01  # a given pixel size this far from the metadata's earns a note


@dataclass
class Micrograph:
    """One file's grey image (``grey``: float32 0..1, the whole frame, bar included)."""

    path: Path
    grey: np.ndarray
    source_dtype: str
    bar_rows: int
    pixel_size_nm: float | None  # what the caller should use (given, else metadata)
    metadata_pixel_size_nm: float | None = None
    metadata_source: str | None = None  # which tag or file gave metadata_pixel_size_nm

    @property
    def image(self) -> np.ndarray:
        """Float32 0..1 without the information bar."""
        return self.grey[: self.grey.shape[0] - self.bar_rows]

    def uint8(self) -> np.ndarray:
        """8-bit grey without the bar (exact for 8-bit files)."""
        return to_uint8(self.image, self.source_dtype)


def list_micrographs(source: str | Path, names=None) -> list[Path]:
    """The image files of a folder, or those a glob pattern matches; with ``names``,
    the files of those stems in that order."""
    src = str(source)
    folder = Path(src)
    if folder.is_dir():
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS
                       and not p.name.startswith(".") and p.is_file())
    elif folder.is_file():
        files = [folder] if folder.suffix.lower() in EXTENSIONS else []
    else:
        files = sorted(Path(p) for p in glob.glob(src) if Path(p).suffix.lower() in EXTENSIONS
                       and Path(p).is_file())
        if not files and not glob.has_magic(src):
            raise DganError(f"{src}: no such folder or file; point to a folder or glob of micrographs")
    if names is not None:
        by_stem = {p.stem: p for p in files}
        missing = [n for n in names if n not in by_stem]
        if missing:
            raise DganError(f"{src}: no image named {', '.join(missing[:5])}; check the split")
        files = [by_stem[n] for n in names]
    if not files:
        raise DganError(f"{src}: no micrographs ({'/'.join(e[1:] for e in EXTENSIONS)}) found; "
                        "point to a folder or glob of micrographs")
    return files


def read_micrograph(path: Path, pixel_size_nm: float | None = None, bar_rows: int | None = None) -> Micrograph:
    """One file. ``pixel_size_nm`` (the user's) overrides the metadata; ``bar_rows``
    overrides the detected bar (0: no bar). The pixel size may come back None: callers
    that need one use :func:`read_all` or check it."""
    path = Path(path)
    raw, found = read_raw(path)
    grey = to_grey(raw, path)
    if bar_rows is None:
        bar = info_bar_rows(grey)
    elif bar_rows >= grey.shape[0] - 1:
        raise DganError(f"{path}: --bar-rows {bar_rows} leaves nothing of its {grey.shape[0]} rows; give a "
                        "smaller --bar-rows")
    else:
        bar = int(bar_rows)
    meta_px, source = found if found else (None, None)
    if pixel_size_nm is not None and not pixel_size_nm > 0:
        raise DganError(f"--pixel-size-nm {pixel_size_nm}: must be a positive number of nm per pixel")
    px = float(pixel_size_nm) if pixel_size_nm else meta_px
    return Micrograph(path, grey, str(raw.dtype), bar, px, meta_px, source)


def read_all(source: str | Path, pixel_size_nm: float | None = None, bar_rows: int | None = None,
             names=None, require_pixel_size: bool = True, flag: str = "--pixel-size-nm", log=None) -> list[Micrograph]:
    """Every micrograph of a folder or glob, pixel sizes resolved (see the module)."""
    return list(iter_all(source, pixel_size_nm, bar_rows, names, require_pixel_size, flag, log))


def iter_all(source: str | Path, pixel_size_nm: float | None = None, bar_rows: int | None = None,
             names=None, require_pixel_size: bool = True, flag: str = "--pixel-size-nm", log=None):
    """:func:`read_all` one file at a time, so a caller that keeps only a crop or an
    8-bit copy never holds every full frame. One note (through ``log``, default
    stderr), at the first file whose metadata differs from the given size by more than
    1 %: the user learns the two disagree without a line per file."""
    if pixel_size_nm is not None and not pixel_size_nm > 0:
        raise DganError(f"{flag} {pixel_size_nm:g}: must be a positive number of nm per pixel")
    noted = False
    for path in list_micrographs(source, names):
        m = read_micrograph(path, pixel_size_nm, bar_rows)
        if require_pixel_size and not m.pixel_size_nm:
            raise DganError(f"{path}: no pixel size in its metadata (Zeiss, FEI/Thermo, Hitachi or ImageJ); "
                            f"give {flag} NM")
        meta = m.metadata_pixel_size_nm
        if pixel_size_nm and meta and abs(pixel_size_nm - meta) > DISAGREE * meta and not noted:
            (log or _stderr)(f"note: {flag} {pixel_size_nm:g} overrides the metadata's {meta:g} nm/px "
                             f"({m.metadata_source}) of {path}; the given size is used for every image")
            noted = True
        yield m


def _stderr(msg: str) -> None:
    print(f"dgan: {msg}", file=sys.stderr)


def read_mask(path: Path) -> np.ndarray:
    """A mask's stored values, 2-D (colour masks: the brightest of R, G, B, so any
    coloured label is foreground)."""
    raw, _ = read_raw(Path(path))
    raw = np.asarray(raw)
    if raw.ndim == 3 and raw.shape[-1] in (3, 4):
        raw = raw[..., :3].max(axis=-1)
    elif raw.ndim == 3 and raw.shape[-1] in (1, 2):
        raw = raw[..., 0]
    if raw.ndim != 2:
        raise DganError(f"{path}: expected a 2-D mask, got shape {raw.shape}")
    return raw


def mask_for(mask: np.ndarray, mask_path: Path, m: Micrograph) -> np.ndarray:
    """The mask rows that match ``m.image``: a mask of the whole frame loses the bar
    rows; a mask as high as the frame without the bar (published sets leave it out) is
    aligned to the top. Any other shape is a one-line error naming both files."""
    return fit_mask(mask, mask_path, m.path, m.grey.shape, m.bar_rows)


def fit_mask(mask: np.ndarray, mask_path: Path, image: Path | str, frame: tuple[int, int],
             bar_rows: int, bar_flag: str | None = "--bar-rows") -> np.ndarray:
    """``mask_for`` for an image known by its path or name, frame shape (bar included) and
    bar rows; ``bar_flag``: the option that sets the bar where the command has one."""
    h, w = frame
    inner = h - bar_rows
    if mask.shape == (h, w):
        return mask[:inner]
    if mask.shape == (inner, w):
        return mask
    head = f"{mask_path}: mask shape {mask.shape} fits neither its image {image} {(h, w)}"
    if bar_rows:
        head += f" nor that image without its {bar_rows}-row information bar {(inner, w)}"
    cut = h - mask.shape[0]
    fix = (f"if the mask leaves out a {cut}-row information bar, give {bar_flag} {cut}"
           if bar_flag and mask.shape[1] == w and 0 < cut < h else "give a mask of its image's size")
    raise DganError(f"{head}; {fix}")
