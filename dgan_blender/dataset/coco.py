"""COCO instance segmentation with uncompressed RLE, written without pycocotools so the
core stays light; tests check the output with pycocotools itself."""

from __future__ import annotations

import numpy as np


def rle_encode(binary: np.ndarray) -> dict:
    """COCO's uncompressed RLE: run lengths of the column-major (Fortran) flattening,
    starting with a run of zeros."""
    flat = np.asarray(binary, dtype=bool).ravel(order="F")
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0] + runs
    return {"counts": runs, "size": [int(binary.shape[0]), int(binary.shape[1])]}


def rle_decode(rle: dict) -> np.ndarray:
    h, w = rle["size"]
    values = np.zeros(h * w, dtype=bool)
    pos, on = 0, False
    for run in rle["counts"]:
        if on:
            values[pos:pos + run] = True
        pos += run
        on = not on
    return values.reshape((h, w), order="F")


def annotations_for(image_id: int, instances: np.ndarray, first_ann_id: int) -> list[dict]:
    """One annotation per visible instance of one image; ``particle_id`` links back to
    the sample's particles JSON."""
    anns = []
    ids = np.unique(instances)
    ids = ids[ids > 0]
    for k, pid in enumerate(ids):
        mask = instances == pid
        ys, xs = np.nonzero(mask)
        x0, y0 = int(xs.min()), int(ys.min())
        anns.append({
            "id": first_ann_id + k,
            "image_id": image_id,
            "category_id": 1,
            "segmentation": rle_encode(mask),
            "area": int(mask.sum()),
            "bbox": [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
            "iscrowd": 0,
            "particle_id": int(pid),
        })
    return anns


def coco_document(images: list[dict], annotations: list[dict], description: str) -> dict:
    return {
        "info": {"description": description, "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "particle", "supercategory": "particle"}],
    }
