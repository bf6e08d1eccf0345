"""``--masks``: how well the run measured, against a lab's own manual masks.

Segmentation scores come from :mod:`..evaluate.metrics` and size-distribution errors from
:mod:`..evaluate.sizes`, the same code as ``dgan eval``; masks only ever score (no stage
reads them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DganError
from ..evaluate.instances import MIN_AREA_PX, mask_to_instances
from ..evaluate.metrics import evaluate_pairs
from ..evaluate.sizes import compare, instance_diameters_nm, mask_diameters_nm
from ..micrograph import EXTENSIONS, fit_mask, read_mask


def masks_folder(path: Path) -> Path:
    """DIR or DIR/masks (the BAM layout: images/ beside masks/)."""
    path = Path(path)
    if not path.is_dir():
        raise DganError(f"--masks {path}: no such folder; give the folder of manual masks (NAME_m.tif or NAME.png)")
    return path / "masks" if (path / "masks").is_dir() else path


def find_mask(folder: Path, name: str) -> Path | None:
    for stem in (f"{name}_m", name):
        for suffix in sorted(EXTENSIONS):
            if (folder / f"{stem}{suffix}").exists():
                return folder / f"{stem}{suffix}"
    return None


NO_MATCH = "--masks {masks}: no mask matches any image name (looked for NAME_m.tif or NAME.png)"


def check_masks(masks: Path, samples) -> int:
    """Before any stage runs: some image has a mask, and every mask found is readable
    and fits its image - so a wrong --masks fails in a second, not at the report an hour
    later. ``samples``: ``evaluate.data.load_images``'s. Returns how many images have one."""
    folder = masks_folder(masks)
    n = 0
    for s in samples:
        path = find_mask(folder, s.name)
        if path is not None:
            frame = (s.image.shape[0] + s.bar_rows, s.image.shape[1])
            fit_mask(read_mask(path), path, s.path, frame, s.bar_rows, bar_flag=None)
            n += 1
    if n == 0:
        raise DganError(NO_MATCH.format(masks=masks))
    return n


def score(masks: Path, predicted: list[tuple[str, np.ndarray, float, int]],
          min_area_px: int = MIN_AREA_PX) -> dict:
    """``predicted``: (name, instances without the bar, pixel size nm, bar rows) per image.
    Images without a mask are left out and counted."""
    folder = masks_folder(masks)
    pairs, found, truth, scored = [], [], [], []
    for name, pred, px, bar in predicted:
        path = find_mask(folder, name)
        if path is None:
            continue
        mask = fit_mask(read_mask(path), path, name, (pred.shape[0] + bar, pred.shape[1]), bar, bar_flag=None)
        pairs.append((mask_to_instances(mask), pred))
        found.append(instance_diameters_nm(pred, px, min_area_px))
        truth.append(mask_diameters_nm(mask, px, min_area_px))
        scored.append(name)
    if not pairs:
        raise DganError(NO_MATCH.format(masks=masks))
    seg = evaluate_pairs(pairs)
    sizes = compare(np.concatenate(found), np.concatenate(truth))
    keys = ("dsc", "ap50", "pq", "ap50_min20", "pq_min20")
    return {"masks": str(masks), "n_scored_images": len(scored), "n_unscored_images": len(predicted) - len(scored),
            "scored_images": scored, **{k: round(float(seg[k]), 4) for k in keys},
            "sizes": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in sizes.items()}}
