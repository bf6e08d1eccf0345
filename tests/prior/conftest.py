"""Micrographs drawn with numpy: discs of a known size law on a noisy, tilted ground."""

import numpy as np
import cv2
import pytest


def draw_field(rng, shape=(256, 256), median_px=16.0, sigma=0.2, count=30, polarity="bright",
               touching=0.0, margin=2):
    """A field of non-overlapping discs; ``touching``: share of discs placed in contact
    with the previous one. Returns the image (0..1) and the true diameters (px) of the
    discs off the border."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    img = np.zeros(shape, np.float32)
    placed, diam = [], []
    for _ in range(count * 30):
        if len(placed) >= count:
            break
        d = float(median_px * np.exp(sigma * rng.standard_normal()))
        r = d / 2
        if placed and rng.random() < touching:
            cy, cx, pr = placed[-1]
            a = rng.uniform(0, 2 * np.pi)
            cy, cx = cy + (pr + r + 0.5) * np.sin(a), cx + (pr + r + 0.5) * np.cos(a)
        else:
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        if any((cy - y) ** 2 + (cx - x) ** 2 < (r + pr + 0.4) ** 2 for y, x, pr in placed):
            continue
        placed.append((cy, cx, r))
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img[disc] = 1.0
        if cy - r > margin and cx - r > margin and cy + r < h - 1 - margin and cx + r < w - 1 - margin:
            diam.append(2 * np.sqrt(disc.sum() / np.pi))
    ground, particle = (0.15, 0.65) if polarity == "bright" else (0.7, 0.25)
    trend = 0.08 * (xx / w - 0.5)
    out = ground + (particle - ground) * img + trend + 0.03 * rng.standard_normal(shape)
    return np.clip(out, 0, 1).astype(np.float32), np.array(diam)


def write_pngs(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(images):
        cv2.imwrite(str(folder / f"f{i:02d}.png"), (np.clip(im, 0, 1) * 65535).astype(np.uint16))
    return folder


@pytest.fixture
def disc_folder(tmp_path):
    rng = np.random.default_rng(3)
    ims = [draw_field(rng, count=25, touching=0.3)[0] for _ in range(6)]
    return write_pngs(tmp_path / "real", ims)
