"""Check a rendered data set the way a user's training code will read it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DganError
from ..io import read_png
from .coco import rle_decode
from .store import DatasetStore


def validate_dataset(root: Path, count: int | None = None) -> dict:
    """Manifest lists each sample once; every sample's files exist and agree (image and
    masks same size, semantic = f(instances), particles JSON ids cover the mask); the COCO
    file decodes to exactly the instance masks. Raises DganError naming the first fault."""
    store = DatasetStore(Path(root))
    if not store.manifest.exists():
        raise DganError(f"{store.manifest}: missing; render with 'dgan render' first")
    lines = [json.loads(ln) for ln in store.manifest.read_text().splitlines() if ln.strip()]
    indices = [e["index"] for e in lines]
    if len(set(indices)) != len(indices):
        raise DganError(f"{store.manifest}: a sample is listed twice; rerun 'dgan render' to repair it")
    if count is not None and sorted(indices) != list(range(count)):
        raise DganError(f"{store.manifest}: {len(indices)} of {count} samples; rerun 'dgan render' to finish")
    coco_path = store.root / "annotations.json"
    coco = json.loads(coco_path.read_text())
    by_image: dict[int, list[dict]] = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    images = {im["sample_index"]: im for im in coco["images"]}
    n_instances = 0
    from ..annotate import semantic_mask

    for i in indices:
        image = read_png(store.path("images", i))
        inst = read_png(store.path("instances", i))
        sem = read_png(store.path("semantic", i))
        rec = json.loads(store.path("particles", i).read_text())
        where = f"sample {store.name(i)}"
        if inst.dtype != np.uint16 or image.shape != inst.shape or sem.shape != inst.shape:
            raise DganError(f"{where}: image/mask sizes or types disagree; delete it and rerun 'dgan render'")
        if not np.array_equal(sem, semantic_mask(inst)):
            raise DganError(f"{where}: semantic mask does not match the instance mask")
        ids = set(np.unique(inst).tolist()) - {0}
        if not ids <= {p["id"] for p in rec["particles"]}:
            raise DganError(f"{where}: instance ids missing from particles JSON")
        if i not in images:
            raise DganError(f"{coco_path}: sample {store.name(i)} missing; rerun 'dgan render'")
        anns = by_image.get(images[i]["id"], [])
        if {a["particle_id"] for a in anns} != ids:
            raise DganError(f"{coco_path}: annotations of sample {store.name(i)} do not match its mask")
        for a in anns:
            if not np.array_equal(rle_decode(a["segmentation"]), inst == a["particle_id"]):
                raise DganError(f"{coco_path}: mask of particle {a['particle_id']} in sample {store.name(i)} differs")
        n_instances += len(ids)
    return {"samples": len(indices), "instances": n_instances, "ok": True}
