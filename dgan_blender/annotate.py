"""Annotations derived from the renderer's instance mask: semantic classes, per-particle
statistics and a preview for people. Pure numpy/OpenCV."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .layout import Layout

BACKGROUND, PARTICLE, BOUNDARY = 0, 1, 2


def semantic_mask(instances: np.ndarray) -> np.ndarray:
    """The paper's three classes. A particle pixel is ``boundary`` when one of its four
    neighbours belongs to the background or to another particle; the image border is
    not a boundary (the particle merely leaves the frame)."""
    inst = np.asarray(instances)
    differs = np.zeros(inst.shape, dtype=bool)
    for other in _four_neighbours(inst):
        differs |= other != inst
    sem = np.where(inst > 0, PARTICLE, BACKGROUND).astype(np.uint8)
    sem[(inst > 0) & differs] = BOUNDARY
    return sem


def contact_widened(instances: np.ndarray, sem: np.ndarray, width_px: int) -> np.ndarray:
    """``sem`` with the boundary widened to ``width_px`` pixels on each side where two
    particles touch (edges against the background stay one pixel). A network taught
    one-pixel lines between touching particles leaves many of them out on real images
    and joins the pair; wider contact lines keep the interiors it seeds particles from
    apart, and the instances still grow back over the line (``probabilities_to_instances``),
    so sizes do not shrink."""
    if width_px <= 1:
        return sem
    inst = np.asarray(instances)
    contact = np.zeros(inst.shape, bool)
    for other in _four_neighbours(inst):
        contact |= (inst > 0) & (other > 0) & (other != inst)
    near = cv2.dilate(contact.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=width_px - 1) > 0
    out = sem.copy()
    out[near & (inst > 0)] = BOUNDARY
    return out


def _four_neighbours(inst: np.ndarray):
    """The image shifted to each pixel's up, down, left and right neighbour; the image
    border repeats itself (it is no boundary: a particle merely leaves the frame)."""
    pad = np.pad(inst, 1, mode="edge")
    h, w = inst.shape
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        yield pad[dy:dy + h, dx:dx + w]


def particle_table(layout: Layout, instances: np.ndarray) -> list[dict]:
    """One record per particle, with visibility measured on the rendered mask. The
    occluded fraction compares the visible area with the particle's own unoccluded
    projection (its silhouette rasterised at the same pixel centres)."""
    from .geometry.meshes import projected_area_px

    cfg = layout.config
    px = cfg.image.pixel_size_nm
    h, w = instances.shape
    counts = np.bincount(instances.ravel(), minlength=len(layout.particles) + 1)
    records = []
    for p in layout.particles:
        visible = int(counts[p.id]) if p.id < len(counts) else 0
        full = int(projected_area_px(p.mesh, px, w, h).sum())
        occluded = 0.0 if full == 0 else max(0.0, 1.0 - visible / full)
        cx, cy, cz = (float(c) for c in p.center_nm)
        rec = {
            "id": p.id,
            "kind": p.kind,
            "agglomerate": p.agglomerate,
            "center_nm": [round(cx, 3), round(cy, 3), round(cz, 3)],
            "center_px": [round(cx / px - 0.5, 3), round(h - cy / px - 0.5, 3)],
            "equivalent_diameter_nm": round(float(p.diameter_nm), 3),
            "visible_area_px": visible,
            "projected_area_px": full,
            "occluded_fraction": round(occluded, 4),
        }
        if p.kind == "wire":
            rec["length_nm"] = round(float(p.length_nm), 3)
        records.append(rec)
    return records


def _colour(k: int) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((k * 0.61803398875) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def preview(image: np.ndarray, instances: np.ndarray) -> np.ndarray:
    """The render in grey with each instance's contour in its own colour (RGB uint8)."""
    grey = image if image.dtype == np.uint8 else np.clip(image * 255, 0, 255).astype(np.uint8)
    out = np.repeat(grey[..., None], 3, axis=2).copy()
    sem = semantic_mask(instances)
    edge = sem == BOUNDARY
    ids = instances[edge]
    if ids.size:
        lut = np.array([_colour(k) for k in range(int(ids.max()) + 1)], dtype=np.uint8)
        out[edge] = lut[ids]
    return out


def contact_sheet(tiles: list[np.ndarray], columns: int = 4, pad: int = 4) -> np.ndarray:
    """Tiles (RGB uint8, same size) on a grid, for a person to skim many samples."""
    if not tiles:
        raise ValueError("contact_sheet needs at least one tile")
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    sheet = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 40, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        sheet[y:y + h, x:x + w] = tile if tile.ndim == 3 else cv2.cvtColor(tile, cv2.COLOR_GRAY2RGB)
    return sheet
