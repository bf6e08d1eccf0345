"""Pixel size from what the microscope wrote: Zeiss, FEI/Thermo, Hitachi, ImageJ.

Each reader returns ``(nm, source)`` or None. Metadata that is present but unusable
(an unknown unit, a zero pixel size) counts as absent, so the caller asks the user for
``--pixel-size-nm`` instead of guessing.
"""

from __future__ import annotations

import re
from pathlib import Path

from .units import to_nm

Found = tuple[float, str]

_NUMBER_UNIT = re.compile(r"^\s*([-+0-9.eE]+)\s*(\S*)\s*$")
_HITACHI = re.compile(r"^\s*PixelSize\s*=\s*([-+0-9.eE]+)\s*(\S*)\s*$", re.MULTILINE)


def zeiss(sem: dict | None) -> Found | None:
    """CZ_SEM (tag 34118) as tifffile parses it: ``{'ap_image_pixel_size':
    ('Image Pixel Size', 7.344, 'nm'), ...}``; the value may also be a '7.344 nm' string."""
    for key in ("ap_image_pixel_size", "ap_pixel_size"):
        entry = (sem or {}).get(key)
        if not isinstance(entry, tuple) or len(entry) < 2:
            continue
        value, unit = entry[1], entry[2] if len(entry) > 2 else ""
        if isinstance(value, str) and not unit:
            m = _NUMBER_UNIT.match(value)
            value, unit = (m.group(1), m.group(2)) if m else (value, "")
        nm = to_nm(value, unit)
        if nm:
            return nm, f"Zeiss CZ_SEM {key}"
    return None


def fei(meta: dict | None) -> Found | None:
    """FEI/Thermo (FEI_SFEG 34680, FEI_HELIOS 34682): ``[Scan] PixelWidth`` in metres."""
    for section in ("Scan", "EScan", "IScan"):
        value = ((meta or {}).get(section) or {}).get("PixelWidth")
        nm = to_nm(value, "m")
        if nm:
            return nm, f"FEI [{section}] PixelWidth"
    return None


def hitachi_text(text: str | None) -> Found | None:
    """Hitachi's ``PixelSize=9.921875`` line (nm unless a unit follows)."""
    m = _HITACHI.search(text or "")
    if not m:
        return None
    nm = to_nm(m.group(1), m.group(2) or "nm")
    return (nm, "Hitachi PixelSize") if nm else None


def hitachi_sidecar(path: Path) -> Found | None:
    """The ``NAME.txt`` that Hitachi instruments write beside ``NAME.tif/.bmp/.jpg``."""
    for txt in (path.with_suffix(".txt"), path.with_suffix(".TXT")):
        if txt.is_file():
            try:
                found = hitachi_text(txt.read_bytes()[:1_000_000].decode("latin-1"))
            except OSError:
                return None
            return (found[0], f"Hitachi {txt.name}") if found else None
    return None


def imagej(meta: dict | None, x_resolution) -> Found | None:
    """ImageJ: XResolution is pixels per ``unit`` (the unit from the description)."""
    unit = (meta or {}).get("unit")
    if not unit or not x_resolution:
        return None
    try:
        num, den = x_resolution
        per_pixel = float(den) / float(num)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    nm = to_nm(per_pixel, unit)
    return (nm, f"ImageJ resolution ({unit})") if nm else None


def from_tiff(tif, path: Path) -> Found | None:
    """The first vendor's pixel size found in an open ``tifffile.TiffFile``, else the
    Hitachi sidecar."""
    page = tif.pages.first
    found = zeiss(_quietly(lambda: tif.sem_metadata)) or fei(_quietly(lambda: tif.fei_metadata))
    if not found:
        texts = _quietly(lambda: [t.value for t in page.tags.values()
                                  if isinstance(t.value, str) and "PixelSize" in t.value]) or []
        found = next((f for f in map(hitachi_text, texts) if f), None)
    if not found and _quietly(lambda: tif.is_imagej):
        xres = page.tags.get("XResolution")
        found = imagej(_quietly(lambda: tif.imagej_metadata), xres.value if xres else None)
    return found or hitachi_sidecar(path)


def _quietly(read):
    """A malformed vendor tag is absent metadata, not an unreadable image."""
    try:
        return read()
    except Exception:  # noqa: BLE001 - tifffile raises many types on odd private tags
        return None
