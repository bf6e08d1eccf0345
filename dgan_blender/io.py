"""Atomic file output: everything is written to a temporary name, then renamed, so a
killed job never leaves a half-written image, mask or JSON behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np


def write_bytes(path: Path, data: bytes) -> None:
    """``data`` into ``path`` atomically (a temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:  # a full disk or Ctrl-C: no half-written file stays behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno:
            raise OSError(exc.errno, exc.strerror, str(path)) from None  # name the file
        raise


def write_png(path: Path, image: np.ndarray) -> None:
    """uint8 / uint16 greyscale, or uint8 RGB (channel order RGB), losslessly."""
    write_bytes(path, encode_png(image))


def encode_png(image: np.ndarray) -> bytes:
    """The PNG file's bytes, for a caller that also records their size and checksum."""
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"write_png needs uint8 or uint16, got {image.dtype}")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OSError(f"{path}: not a readable image")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def write_json(path: Path, data) -> None:
    write_bytes(path, (json.dumps(data, indent=1, sort_keys=False) + "\n").encode())


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Linear intensities 0..1 -> 8-bit, clipped (SEM images are linear detector counts)."""
    return np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)
