"""The one table of length units that microscope metadata use.

Vendors and tools spell the same unit many ways: the micro sign (U+00B5) and the Greek
mu (U+03BC), ``um``, ``micron``, ImageJ's escaped ``\\u00B5m``, and ``Âµm`` when a
Latin-1 header was decoded as UTF-8 somewhere on the way. Every path that turns a
pixel size into nanometres goes through :func:`to_nm`, so a spelling is either known
everywhere or refused everywhere - never silently read as nanometres.
"""

from __future__ import annotations

import re
import unicodedata

# keys are NFKC-normalised and lower-cased (NFKC maps U+00B5 to U+03BC and U+212B to U+00C5)
NM_PER_UNIT: dict[str, float] = {
    "fm": 1e-6, "femtometer": 1e-6, "femtometre": 1e-6,
    "pm": 1e-3, "picometer": 1e-3, "picometre": 1e-3,
    "å": 0.1, "a": 0.1, "angstrom": 0.1, "ångström": 0.1, "angstroms": 0.1,
    "nm": 1.0, "nanometer": 1.0, "nanometre": 1.0, "nanometers": 1.0, "nanometres": 1.0,
    "μm": 1e3, "um": 1e3, "âμm": 1e3, "micron": 1e3, "microns": 1e3,
    "micrometer": 1e3, "micrometre": 1e3, "micrometers": 1e3, "micrometres": 1e3,
    "mm": 1e6, "millimeter": 1e6, "millimetre": 1e6,
    "cm": 1e7, "centimeter": 1e7, "centimetre": 1e7,
    "m": 1e9, "meter": 1e9, "metre": 1e9, "meters": 1e9, "metres": 1e9,
}

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def normalise_unit(unit: str) -> str:
    """The table's key for ``unit``: escapes decoded, Unicode folded, lower case."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(unit)).strip()
    return unicodedata.normalize("NFKC", text).lower()


def nm_per_unit(unit: str) -> float | None:
    """Nanometres in one ``unit``, or None for a spelling that is not a length."""
    return NM_PER_UNIT.get(normalise_unit(unit))


def to_nm(value: float, unit: str) -> float | None:
    """``value`` ``unit`` in nanometres; None when the unit is unknown or the value is
    not a positive finite number (an uncalibrated image says 0 or 1 'pixel')."""
    scale = nm_per_unit(unit)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if scale is None or not (v > 0 and v < float("inf")):
        return None
    return v * scale
