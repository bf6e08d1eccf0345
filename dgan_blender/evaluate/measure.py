"""``dgan segment``: the measurement users came for - particle sizes on new micrographs.

Particles cut by the image border have a truncated size; they are kept in the table,
flagged ``on_border``, and left out of the size distribution.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage as ndi

from ..io import write_bytes, write_json, write_png
from .data import load_images
from .instances import MIN_AREA_PX
from .train import load_model

DROPPED_DIR = "dropped"  # detections the ground check took out, per image where it took any

COLUMNS = ("image", "particle", "equivalent_diameter_nm", "area_px", "area_nm2",
           "circularity", "touching_neighbours", "centroid_x_px", "centroid_y_px", "on_border")


def touching_pairs(instances: np.ndarray, gap_px: int = 2) -> dict[int, set[int]]:
    """Neighbours closer than ``gap_px``: predicted particles touch directly or across the
    one-pixel line that separates them in the manual masks' convention."""
    inst = np.asarray(instances).astype(np.int64)
    h, w = inst.shape
    neighbours: dict[int, set[int]] = {}
    pairs = set()
    for dy in range(0, gap_px + 1):
        for dx in range(-gap_px, gap_px + 1):
            if (dy, dx) <= (0, 0):
                continue  # each offset once; the other half is the same pairs reversed
            a = inst[:h - dy, max(0, -dx):w - max(0, dx)]
            b = inst[dy:, max(0, dx):w - max(0, -dx)]
            sel = (a > 0) & (b > 0) & (a != b)
            pairs.update(np.unique(a[sel] * (1 << 32) + b[sel]).tolist())
    for code in pairs:
        i, j = divmod(code, 1 << 32)
        neighbours.setdefault(i, set()).add(j)
        neighbours.setdefault(j, set()).add(i)
    return neighbours


def particle_rows(name: str, instances: np.ndarray, pixel_size_nm: float) -> list[dict]:
    """One row per instance. Circularity 4 pi A / P^2 with the perimeter of the traced
    contour (1 for a disc, lower for elongated or ragged outlines, capped at 1)."""
    inst = np.asarray(instances)
    h, w = inst.shape
    touch = touching_pairs(inst)
    rows = []
    for k, sl in enumerate(ndi.find_objects(inst), start=1):
        if sl is None:
            continue
        mask = (inst[sl] == k).astype(np.uint8)
        area = int(mask.sum())
        contours, _ = cv2.findContours(np.pad(mask, 1), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        perimeter = sum(cv2.arcLength(c, True) for c in contours)
        circ = min(1.0, 4 * math.pi * area / perimeter ** 2) if perimeter > 0 else 1.0
        cy, cx = ndi.center_of_mass(mask)
        rows.append({
            "image": name, "particle": k,
            "equivalent_diameter_nm": round(2 * math.sqrt(area / math.pi) * pixel_size_nm, 2),
            "area_px": area, "area_nm2": round(area * pixel_size_nm ** 2, 1),
            "circularity": round(circ, 4), "touching_neighbours": len(touch.get(k, ())),
            "centroid_x_px": round(cx + sl[1].start, 1), "centroid_y_px": round(cy + sl[0].start, 1),
            "on_border": int(sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == h or sl[1].stop == w),
        })
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes(path, buf.getvalue().encode())


def size_plot(path: Path, diameters_nm: list[float], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    d = np.asarray(diameters_nm, float)
    if d.size:
        ax.hist(d, bins=min(40, max(5, d.size // 5)), color="#4477aa", edgecolor="white")
        ax.axvline(np.median(d), color="#cc6677", label=f"median {np.median(d):.1f} nm")
        ax.legend()
    ax.set_xlabel("equivalent circular diameter / nm")
    ax.set_ylabel("particles")
    ax.set_title(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes(path, buf.getvalue())


def segment_folder(model_path: Path, images: Path, out: Path, bar_rows: int | None = None,
                   pixel_size_nm: float | None = None, min_area_px: int = MIN_AREA_PX, log=print,
                   split_h: float | None = None, loaded: tuple | None = None,
                   boundary_weight: float = 1.0, ground_check: bool = False) -> dict:
    """Writes OUT/instances/NAME.png (uint16, the input's full size, bar rows 0),
    OUT/particles.csv, OUT/size_distribution.png and OUT/summary.json. ``split_h``:
    split particles at necks, ``boundary_weight``: the boundary class's weight in the
    seeds (``necks``; ``dgan measure`` chooses both on synthetic images).
    ``loaded``: ``load_model(model_path)``'s result where the caller has it already.
    ``ground_check``: drop detections the image's own foreground does not show
    (``ground``: substrate texture taken for particles; OUT/dropped/NAME.png holds them)."""
    from .run import segment_sample

    out = Path(out)
    model, meta = loaded or load_model(model_path)
    samples = load_images(images, bar_rows, pixel_size_nm, log=log)
    found = []
    for s in samples:
        inst = segment_sample(model, s, float(meta["pixel_size_nm"]), min_area_px=min_area_px, split_h=split_h,
                              boundary_weight=boundary_weight)
        if inst.max() > 65535:
            inst = np.where(inst > 65535, 0, inst)  # never in practice; keeps the PNG valid
        found.append(inst.astype(np.uint16))
        log(f"{s.name}: {int(inst.max())} particles")
    checked, raw = None, found
    if ground_check and samples:
        from .ground import ground_check as check

        found, checked = check([s.image for s in samples], found)
    rows = []
    for s, inst, before in zip(samples, found, raw):
        full = np.zeros((s.image.shape[0] + s.bar_rows, s.image.shape[1]), np.uint16)
        full[:s.image.shape[0]] = inst
        write_png(out / "instances" / f"{s.name}.png", full)
        if inst is not before and checked and checked["applied"]:
            from .ground import dropped

            full[:s.image.shape[0]] = dropped(before, inst)
            write_png(out / DROPPED_DIR / f"{s.name}.png", full)
        rows.extend(particle_rows(s.name, inst, s.pixel_size_nm))
    write_csv(out / "particles.csv", rows)
    inner = [r["equivalent_diameter_nm"] for r in rows if not r["on_border"]]
    size_plot(out / "size_distribution.png", inner,
              f"{len(inner)} particles in {len(samples)} images (border-cut excluded)")
    summary = {"model": str(model_path), "images": str(images), "n_images": len(samples),
               "n_particles": len(rows), "n_particles_inner": len(inner),
               "median_diameter_nm": float(np.median(inner)) if inner else None,
               "model_seed": meta.get("seed"), "model_pixel_size_nm": meta.get("pixel_size_nm"),
               "model_preset": meta.get("preset"), "model_data_digest": meta.get("data_digest"),
               "split_necks_h": split_h, "boundary_weight": boundary_weight, "ground_check": checked}
    write_json(out / "summary.json", summary)
    return summary
