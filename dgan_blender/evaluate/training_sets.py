"""Synthetic data sets as training input for ``dgan train``: which samples, at which
pixel size, and what a later user needs to know to trust a model trained on them.

Only samples listed in a set's ``manifest.jsonl`` are used: the manifest lists complete
samples only, so a data set whose rendering was killed trains on what was finished and
never on a half-written file. A set's identity is a digest of its manifest entries
(sorted, so that the order in which workers finished does not change it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DganError
from .data import Sample, detect_layout, load_annotated

# Two sets whose pixel sizes differ by more than this are refused (not resampled):
# resampling synthetic masks would thicken or thin the one-pixel boundary class.
PIXEL_SIZE_TOLERANCE = 1e-3


@dataclass
class TrainingSet:
    """One ``dgan render`` folder: its samples and the facts recorded with the model."""

    root: Path
    samples: list[Sample]
    digest: str
    preset: str | None
    look: dict = field(default_factory=dict)

    @property
    def pixel_size_nm(self) -> float:
        return self.samples[0].pixel_size_nm

    def describe(self) -> dict:
        return {"path": str(self.root), "digest": self.digest, "n_samples": len(self.samples),
                "pixel_size_nm": self.pixel_size_nm, "preset": self.preset, "look": self.look}


def manifest_names(root: Path) -> tuple[list[str], str]:
    """Stems of the manifest's samples (index order) and the digest of its entries."""
    manifest = root / "manifest.jsonl"
    if not manifest.exists():
        raise DganError(f"{root}: no manifest.jsonl, so not a 'dgan render' data set; "
                        f"render one with 'dgan render --out {root}'")
    entries = {}
    for line in manifest.read_text().splitlines():
        try:
            entry = json.loads(line)
            entries[int(entry["index"])] = entry
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a line cut by a kill; 'dgan render' repairs it on its next run
    if not entries:
        raise DganError(f"{manifest}: no complete samples; rerun 'dgan render --out {root}' to finish it")
    ordered = [entries[i] for i in sorted(entries)]
    digest = hashlib.sha256(json.dumps(ordered, sort_keys=True).encode()).hexdigest()[:16]
    return [Path(e["image"]).stem for e in ordered], digest


def _look(root: Path, names: list[str]) -> tuple[str | None, dict]:
    """The preset and the fitted look, from the set's run.json where it has one, else
    from the per-sample records (``parameters``: each sample's drawn look values)."""
    from ..provenance import read

    run = read(root) or {}
    presets, values = set(), {}
    for name in names:
        try:
            rec = json.loads((root / "particles" / f"{name}.json").read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if rec.get("preset"):
            presets.add(str(rec["preset"]))
        for k, v in (rec.get("parameters") or {}).items():
            values.setdefault(k, []).append(float(v))
    preset = run.get("preset") or (sorted(presets)[0] if len(presets) == 1 else None)
    if preset is None and presets:
        preset = "+".join(sorted(presets))
    look = {"fitted": bool(values),
            "mean": {k: round(float(np.mean(v)), 6) for k, v in sorted(values.items())}}
    for key in ("look", "params", "params_digest", "engine"):
        if run.get(key) is not None:
            look[key] = run[key]
    return preset, look


def load_training_set(root: Path) -> TrainingSet:
    root = Path(root)
    if not root.is_dir():
        raise DganError(f"{root}: no such folder; give a data set written by 'dgan render'")
    if (root / "images").is_dir() and not (root / "instances").is_dir():
        raise DganError(f"{root}: no instances/ (masks) to train on; give a data set written by "
                        "'dgan render' (annotated real images go to 'dgan eval --train')")
    names, digest = manifest_names(root)
    if detect_layout(root) != "synthetic":
        raise DganError(f"{root}: not a 'dgan render' data set (images/ + instances/); render one with 'dgan render'")
    samples = load_annotated(root, names)
    sizes = sorted({round(s.pixel_size_nm, 6) for s in samples})
    if sizes[-1] > sizes[0] * (1 + PIXEL_SIZE_TOLERANCE):
        raise DganError(f"{root}: samples of different pixel sizes ({sizes[0]:g}-{sizes[-1]:g} nm); "
                        "render one data set per pixel size")
    preset, look = _look(root, names)
    return TrainingSet(root, samples, digest, preset, look)


def load_training_sets(roots) -> list[TrainingSet]:
    """All sets, refused with one line when their pixel sizes differ (render them at one
    pixel size instead: a model is applied at the pixel size it was trained on)."""
    roots = [Path(r) for r in roots]
    if not roots:
        raise DganError("no training data; pass --data DATA (a folder written by 'dgan render')")
    sets = [load_training_set(r) for r in roots]
    first = sets[0]
    for s in sets[1:]:
        if abs(s.pixel_size_nm - first.pixel_size_nm) > PIXEL_SIZE_TOLERANCE * first.pixel_size_nm:
            raise DganError(f"{s.root}: pixel size {s.pixel_size_nm:g} nm differs from {first.root}'s "
                            f"{first.pixel_size_nm:g} nm; train on data sets of one pixel size "
                            "(render them with the same image.pixel_size_nm)")
    return sets


def combined_digest(sets: list[TrainingSet]) -> str:
    """Order matters: patches are drawn from the sets' samples in the order given."""
    return hashlib.sha256(" ".join(s.digest for s in sets).encode()).hexdigest()[:16]
