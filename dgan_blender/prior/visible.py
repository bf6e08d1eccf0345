"""Which particle a top-down camera sees at each pixel, from a layout's triangles alone.

``geometry/footprint.py`` gives the union of all particles; the prior also needs each
particle's visible part (the sizes a manual annotation or a rendered instance mask
would show). Particles are drawn lowest centre first, so one resting on another covers
it - exact for the packer's convex-ish bodies, whose interpenetration is bounded by
``overlap_tolerance``. Sampled at pixel centres as the footprint is.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..layout import Layout

_SHIFT = 4
_SUPER = 5


def visible_instances(layout: Layout) -> np.ndarray:
    """int32 (H, W): 0 ground, k the particle with id k where it is the top surface."""
    img = layout.config.image
    w, h, px = img.width_px, img.height_px, img.pixel_size_nm
    out = np.zeros((h, w), np.int32)
    fine = _SUPER / px
    c0 = _SUPER // 2
    for p in sorted(layout.particles, key=lambda q: float(q.center_nm[2])):
        t = p.mesh.vertices[:, :2][p.mesh.faces]
        a, b, c = t[:, 0], t[:, 1], t[:, 2]
        up = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) > 0
        t = t[up] if up.any() else t
        xy = np.stack([t[..., 0] / px, h - t[..., 1] / px], axis=-1)  # image px, row 0 at top
        x0 = int(np.clip(np.floor(xy[..., 0].min()) - 1, 0, w))
        x1 = int(np.clip(np.ceil(xy[..., 0].max()) + 1, 0, w))
        y0 = int(np.clip(np.floor(xy[..., 1].min()) - 1, 0, h))
        y1 = int(np.clip(np.ceil(xy[..., 1].max()) + 1, 0, h))
        if x1 <= x0 or y1 <= y0:
            continue
        local = (xy - [x0, y0]) * _SUPER
        pts = np.rint((local - 0.5) * (1 << _SHIFT)).astype(np.int32)
        mask = np.zeros(((y1 - y0) * _SUPER, (x1 - x0) * _SUPER), np.uint8)
        cv2.fillPoly(mask, list(pts), 1, lineType=cv2.LINE_8, shift=_SHIFT)
        sub = mask[c0::_SUPER, c0::_SUPER].astype(bool)
        out[y0:y1, x0:x1][sub] = p.id
    return out
