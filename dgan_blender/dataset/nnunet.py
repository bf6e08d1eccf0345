"""nnU-Net v2 raw data set from a rendered data set, for users who want the paper's
exact training protocol (nnU-Net plans and trains from this layout)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import DganError
from ..io import read_png, write_json, write_png
from .store import DatasetStore


def export_nnunet(data: Path, out: Path, dataset_id: int, name: str) -> Path:
    """``out/DatasetXXX_NAME/{imagesTr,labelsTr,dataset.json}``; images are the
    single-channel ``_0000`` PNGs nnU-Net's natural-image reader expects, labels the
    semantic masks (0 background, 1 particle, 2 boundary)."""
    store = DatasetStore(Path(data))
    entries = store.read_manifest()
    if not entries:
        raise DganError(f"{data}: no manifest.jsonl with samples; render one with 'dgan render' first")
    if not 1 <= dataset_id <= 999:
        raise DganError(f"--dataset-id {dataset_id}: nnU-Net needs 1..999")
    root = Path(out) / f"Dataset{dataset_id:03d}_{name}"
    (root / "imagesTr").mkdir(parents=True, exist_ok=True)
    (root / "labelsTr").mkdir(parents=True, exist_ok=True)
    for i, entry in sorted(entries.items()):
        case = f"{name}_{store.name(i)}"
        image_dst = root / "imagesTr" / f"{case}_0000.png"
        label_dst = root / "labelsTr" / f"{case}.png"
        if not image_dst.exists():
            tmp = image_dst.with_name(f".{image_dst.name}.tmp")
            shutil.copyfile(Path(data) / entry["image"], tmp)
            os.replace(tmp, image_dst)
        if not label_dst.exists():
            write_png(label_dst, read_png(Path(data) / entry["semantic"]))
    write_json(root / "dataset.json", {
        "channel_names": {"0": "SEM"},
        "labels": {"background": 0, "particle": 1, "boundary": 2},
        "numTraining": len(entries),
        "file_ending": ".png",
        "name": name,
        "description": f"exported by dgan-blender from {Path(data).resolve()}",
    })
    return root
