"""The microscope's information bar at the bottom of a micrograph.

Of the two detectors the project had, this is the one from the fit path: it needs text
on the bar (so a dark or saturated image bottom is not cropped), tolerates text lines
a few rows high inside the bar, and never takes more than 30 % of the frame. On the
60 BAM SEM and TSEM micrographs both found the same 56 rows.
"""

from __future__ import annotations

import numpy as np


def info_bar_rows(img: np.ndarray) -> int:
    """Height of the bar (0 if none): bottom rows that are mostly one extreme grey
    value (black or white) with text in the opposite extreme. ``img`` is grey, uint8
    or float 0..1."""
    img = np.asarray(img)
    h = img.shape[0]
    q = img if img.dtype == np.uint8 else np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
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
