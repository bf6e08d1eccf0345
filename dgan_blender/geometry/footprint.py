"""Where a layout's particles cover the image, from geometry alone (no renderer).

The top-down camera sees a pixel as particle wherever any particle's projected triangle
covers it, so the union of all projected triangles is the particle pixels of the
instance mask. Filling the triangles (not a hull) keeps it exact for curved wires and
concave agglomerates. The fit uses it to pick layouts whose covered fraction matches
the real patches before any of them is built in Blender.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..layout import Layout

_SHIFT = 4  # cv2 sub-pixel bits: vertices at 1/16 px
_SUPER = 5  # odd: each pixel centre is the centre of a fine pixel


def footprint(layout: Layout) -> np.ndarray:
    """Bool (H, W): pixels whose centre a particle covers (what a ray through the pixel
    centre sees), row 0 at the top of the image."""
    img = layout.config.image
    w, h = img.width_px, img.height_px
    mask = np.zeros((h * _SUPER, w * _SUPER), np.uint8)
    fine = _SUPER / img.pixel_size_nm
    for p in layout.particles:
        t = p.mesh.vertices[:, :2][p.mesh.faces]
        # a closed surface's silhouette is covered by its up-facing triangles alone
        a, b, c = t[:, 0], t[:, 1], t[:, 2]
        up = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) > 0
        t = t[up] if up.any() else t
        # cv2 fills every pixel a triangle touches; at _SUPER x resolution that overreach
        # is a fifth of a pixel, and the fine pixel at each image pixel's centre is read
        # out. One call per particle: within one call cv2 fills by parity, so pixels that
        # two particles' triangles both cover would be left empty
        xy = np.stack([t[..., 0] * fine, (h * img.pixel_size_nm - t[..., 1]) * fine], axis=-1)
        pts = np.rint((xy - 0.5) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, list(pts), 1, lineType=cv2.LINE_8, shift=_SHIFT)
    c0 = _SUPER // 2
    return mask[c0::_SUPER, c0::_SUPER].astype(bool)


def footprint_fraction(layout: Layout) -> float:
    """Fraction of the image's pixels that show a particle."""
    return float(footprint(layout).mean())


def layout_with_coverage(cfg, seed: int, target: float, tries: int = 4, tolerance: float = 0.1) -> Layout:
    """A layout of ``cfg`` whose particles cover about ``target`` of the image.

    The coverage a layout is drawn with counts mean projected areas; particles that
    stack or touch hide each other, so what the camera sees is less, by an amount that
    depends on the agglomerates. Each try rescales the requested coverage by what the
    last one showed; the closest (within ``tolerance``, relative) is kept. Seeded by
    (``seed``, try): the same arguments give the same layout."""
    from ..errors import ConfigError
    from . import generate_layout

    target = float(min(max(target, 1e-4), 0.95))
    ask, best, best_err = target, None, np.inf
    for k in range(tries):
        try:
            lay = generate_layout(cfg, np.random.default_rng([int(seed), k]), seed, coverage=ask)
        except ConfigError:  # more than the field can hold: ask for less
            ask *= 0.8
            continue
        got = footprint_fraction(lay)
        err = abs(np.log(max(got, 1e-6) / target))
        if err < best_err:
            best, best_err = lay, err
        if err <= np.log1p(tolerance):
            break
        ask = float(min(ask * target / max(got, 1e-4), 2.0))
    if best is None:
        raise ConfigError(f"no layout of {cfg.name} covers {target:.2f} of the image: lower the coverage asked for")
    return best
