"""Real micrographs for the fit: read, crop the information bar, bring to the preset's
pixel size, cut into patches that contain particles.

Any microscope vendor: TIFF/PNG/JPEG, 8 or 16 bit, grey or RGB. Pixel size from Zeiss
(CZ_SEM) or FEI/Thermo metadata when present, else from the caller.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DganError

EXTENSIONS = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp")


@dataclass
class RealImage:
    path: Path
    image: np.ndarray  # float32 0..1, information bar removed, at the target pixel size
    pixel_size_nm: float | None


def list_images(source: str | Path) -> list[Path]:
    """A folder (its image files) or a glob pattern."""
    src = str(source)
    if Path(src).is_dir():
        files = sorted(p for p in Path(src).iterdir() if p.suffix.lower() in EXTENSIONS)
    else:
        files = sorted(Path(p) for p in glob.glob(src) if Path(p).suffix.lower() in EXTENSIONS)
    if not files:
        raise DganError(f"{src}: no TIFF/PNG/JPEG images found; point --real at a folder or glob of micrographs")
    return files


def metadata_pixel_size_nm(path: Path) -> float | None:
    if path.suffix.lower() not in (".tif", ".tiff"):
        return None
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            sem = tif.sem_metadata
            if sem and "ap_image_pixel_size" in sem:
                _, value, unit = sem["ap_image_pixel_size"]
                scale = {"nm": 1.0, "µm": 1e3, "um": 1e3, "pm": 1e-3}.get(unit, 1.0)
                return float(value) * scale
            fei = tif.fei_metadata
            if fei and "Scan" in fei and "PixelWidth" in fei["Scan"]:
                return float(fei["Scan"]["PixelWidth"]) * 1e9
    except Exception:
        return None
    return None


def read_grey(path: Path) -> np.ndarray:
    """Float32 0..1 greyscale, whatever the bit depth and channel count."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        try:
            img = tifffile.imread(path)
        except Exception:
            img = None
    else:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is not None and img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    if img is None or img.size == 0:
        raise DganError(f"{path}: cannot read this image; convert it to an 8/16-bit TIFF or PNG")
    img = np.asarray(img)
    scale = float(np.iinfo(img.dtype).max) if np.issubdtype(img.dtype, np.integer) else 1.0
    if img.ndim == 3 and img.shape[0] not in (3, 4) and img.shape[-1] not in (3, 4):
        img = img[0]  # a multi-page TIFF: the first page is the image
    if img.ndim == 3:
        if img.shape[0] in (3, 4) and img.shape[-1] not in (3, 4):
            img = np.moveaxis(img, 0, -1)
        img = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    if img.ndim != 2:
        raise DganError(f"{path}: expected a 2-D greyscale or RGB image, got shape {img.shape}; give single images")
    img = img.astype(np.float32) / scale
    if scale == 1.0 and img.max() > 1:  # float data in arbitrary units
        img = img / float(img.max())
    return img


def info_bar_rows(img: np.ndarray) -> int:
    """Height of the microscope's data bar at the bottom (0 if none): rows that are
    almost entirely one extreme value (black or white) with text in it."""
    h = img.shape[0]
    q = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    rows, modes = 0, []
    for r in range(h - 1, int(h * 0.7), -1):
        counts = np.bincount(q[r], minlength=256)
        mode = int(counts.argmax())
        if counts[mode] / q.shape[1] >= 0.6 and (mode <= 6 or mode >= 249):
            rows = h - r
            modes.append(mode)
        elif rows and h - r - rows > 3:
            break
        elif not rows and h - 1 - r > 3:
            return 0  # the bottom rows are image content
    if not rows or h - rows <= int(h * 0.7) + 1:
        return 0  # no bar, or a dark/bright image with no edge to a bar
    bar = q[h - rows:].astype(np.int16)
    background = int(np.median(modes))
    # a data bar carries text: pixels at the opposite end of the grey range
    return rows if (np.abs(bar - background) > 100).mean() > 0.005 else 0


def load_real(source: str | Path, target_nm: float, pixel_size_nm: float | None = None,
              crop_bottom_px: int | None = None, min_size_px: int = 256) -> list[RealImage]:
    out = []
    for path in list_images(source):
        img = read_grey(path)
        bar = crop_bottom_px if crop_bottom_px is not None else info_bar_rows(img)
        if bar:
            img = img[: img.shape[0] - bar]
        px = pixel_size_nm or metadata_pixel_size_nm(path)
        if px is None:
            raise DganError(f"{path}: no pixel size in the metadata; give --pixel-size-nm")
        if abs(px - target_nm) / target_nm > 1e-3:
            f = px / target_nm
            img = cv2.resize(img, (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f))),
                             interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        if min(img.shape) < min_size_px:
            raise DganError(f"{path}: {img.shape[1]}x{img.shape[0]} px at {target_nm} nm/px is smaller than a "
                            f"{min_size_px} px patch; use larger images or a smaller patch")
        out.append(RealImage(path, img.astype(np.float32), px))
    return out


def foreground_fraction(patch: np.ndarray, threshold: float, bright: bool = True) -> float:
    """Share of the patch on the particles' side of ``threshold``."""
    return float((patch > threshold).mean() if bright else (patch <= threshold).mean())


def otsu_threshold(images: list[np.ndarray]) -> float:
    sample = np.concatenate([im[::4, ::4].ravel() for im in images])
    t, _ = cv2.threshold(np.clip(sample * 255, 0, 255).astype(np.uint8)[None], 0, 255,
                         cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t) / 255.0


def bright_particles(images: list[np.ndarray], threshold: float) -> bool:
    """Whether particles are the bright side of ``threshold``: particles cover less of a
    field than the ground, so they are the minority side - bright in secondary-electron
    images, dark in transmission ones."""
    sample = np.concatenate([im[::4, ::4].ravel() for im in images])
    return bool((sample > threshold).mean() <= 0.5)


def patches_with_particles(images: list[np.ndarray], size: int, count: int, rng: np.random.Generator,
                           min_fg: float = 0.03, tries: int = 50) -> np.ndarray:
    """``count`` random patches (N, size, size) whose Otsu foreground (the particles'
    side, bright or dark) covers at least ``min_fg``, with random flips and 90-degree
    rotations."""
    thr = otsu_threshold(images)
    bright = bright_particles(images, thr)
    out = []
    for _ in range(count):
        best, best_fg = None, -1.0
        for _ in range(tries):
            im = images[rng.integers(len(images))]
            y = rng.integers(0, im.shape[0] - size + 1)
            x = rng.integers(0, im.shape[1] - size + 1)
            p = im[y:y + size, x:x + size]
            fg = foreground_fraction(p, thr, bright)
            if fg > best_fg:
                best, best_fg = p, fg
            if fg >= min_fg:
                break
        out.append(augment(best, rng))
    return np.stack(out).astype(np.float32)


def augment(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = np.rot90(p, int(rng.integers(4)))
    if rng.random() < 0.5:
        p = p[:, ::-1]
    return np.ascontiguousarray(p)
