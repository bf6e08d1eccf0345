"""The on-disk data set: per-sample files, the manifest and the COCO file.

A sample is complete when its particles JSON exists: it is renamed into place last,
after the image and both masks, so a kill at any moment leaves either a complete sample
or none (stray temporary files are removed on the next run). The manifest is only ever
appended to by the driver and is repaired from the complete samples on start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..io import read_png, write_json, write_png
from .coco import annotations_for, coco_document

SUBDIRS = ("images", "instances", "semantic", "particles")


class DatasetStore:
    def __init__(self, root: Path, digits: int = 6):
        self.root = Path(root)
        self.digits = digits

    def name(self, index: int) -> str:
        return f"{index:0{self.digits}d}"

    def path(self, kind: str, index: int) -> Path:
        ext = "json" if kind == "particles" else "png"
        return self.root / kind / f"{self.name(index)}.{ext}"

    def prepare(self) -> None:
        for sub in SUBDIRS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            for stray in (self.root / sub).glob(".*.tmp"):
                stray.unlink(missing_ok=True)

    def is_complete(self, index: int) -> bool:
        return all(self.path(k, index).exists() for k in SUBDIRS)

    def complete_indices(self, count: int) -> list[int]:
        return [i for i in range(count) if self.is_complete(i)]

    def write_sample(self, index: int, image: np.ndarray, instances: np.ndarray,
                     semantic: np.ndarray, record: dict) -> None:
        write_png(self.path("images", index), image)
        write_png(self.path("instances", index), instances)
        write_png(self.path("semantic", index), semantic)
        write_json(self.path("particles", index), record)

    # -------------------------------------------------------------- manifest
    @property
    def manifest(self) -> Path:
        return self.root / "manifest.jsonl"

    def read_manifest(self) -> dict[int, dict]:
        entries: dict[int, dict] = {}
        if self.manifest.exists():
            for line in self.manifest.read_text().splitlines():
                try:
                    entry = json.loads(line)
                    entries[int(entry["index"])] = entry
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a line cut by a kill
        return entries

    def repair_manifest(self, count: int) -> dict[int, dict]:
        """Keep one line per complete sample; add lines for complete samples whose line
        was lost; rewrite atomically."""
        entries = self.read_manifest()
        fixed = {}
        for i in self.complete_indices(max([count, *entries.keys()], default=count) + 1):
            fixed[i] = entries.get(i) or self.manifest_entry(i)
        tmp = self.manifest.with_name(".manifest.jsonl.tmp")
        tmp.write_text("".join(json.dumps(fixed[i]) + "\n" for i in sorted(fixed)))
        os.replace(tmp, self.manifest)
        return fixed

    def manifest_entry(self, index: int) -> dict:
        rec = json.loads(self.path("particles", index).read_text())
        return {
            "index": index,
            "image": f"images/{self.name(index)}.png",
            "instances": f"instances/{self.name(index)}.png",
            "semantic": f"semantic/{self.name(index)}.png",
            "particles": f"particles/{self.name(index)}.json",
            "seed": rec.get("seed"),
            "sample_seed": rec.get("sample_seed"),
            "n_particles": len(rec.get("particles", [])),
            "layout_attempt": rec.get("layout_attempt", 0),
        }

    def append_manifest(self, entries: list[dict]) -> None:
        with open(self.manifest, "a") as fh:
            for e in entries:
                fh.write(json.dumps(e) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def write_contact_sheet(self, indices: list[int], columns: int = 4) -> Path:
        """The first samples with their instance contours, for a person to look at."""
        from ..annotate import contact_sheet, preview

        tiles = [preview(read_png(self.path("images", i)), read_png(self.path("instances", i)))
                 for i in sorted(indices)]
        path = self.root / "contact.png"
        write_png(path, contact_sheet(tiles, columns=columns))
        return path

    # -------------------------------------------------------------- COCO
    def write_coco(self, indices: list[int], description: str) -> Path:
        images, anns = [], []
        for image_id, i in enumerate(sorted(indices), start=1):
            inst = read_png(self.path("instances", i))
            images.append({"id": image_id, "file_name": f"images/{self.name(i)}.png",
                           "height": int(inst.shape[0]), "width": int(inst.shape[1]),
                           "sample_index": i})
            anns.extend(annotations_for(image_id, inst, len(anns) + 1))
        path = self.root / "annotations.json"
        write_json(path, coco_document(images, anns, description))
        return path
