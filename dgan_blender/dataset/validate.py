"""Check a rendered data set the way a user's training code will read it: every file is
read and decoded, and each bad one is named, so a user learns in one pass what a rerun
of ``dgan render`` will repair."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from .. import provenance
from ..errors import DganError
from .coco import rle_decode
from .store import IMAGES, DatasetStore, checksum

REPAIR = "rerun 'dgan render' with the same arguments plus --verify to repair"


class IncompleteDataset(DganError):
    """A render that was stopped or failed: not an input error, so exit 1."""

    exit_code = 1


class InvalidDataset(DganError):
    """Bad or inconsistent files; ``problems`` holds one line per file."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


def _made_by(record: dict | None) -> str:
    if not record:
        return ""
    size = record.get("size") or ["?"]
    return f"preset {record.get('preset')}, seed {record.get('seed')}, size {size[0]}: "


def _decode_png(path: Path, want: dict | None) -> np.ndarray:
    data = path.read_bytes()
    if want is not None and checksum(data) != want:
        raise ValueError(f"{len(data)} bytes, CRC-32 differs from the one written "
                         f"({want.get('bytes')} bytes)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError("not a readable PNG")
    return image


def _read_manifest(store: DatasetStore, problems: list[str]) -> list[int]:
    indices = []
    for n, line in enumerate(store.manifest.read_text(errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            indices.append(int(json.loads(line)["index"]))
        except (ValueError, KeyError, TypeError):
            problems.append(f"{store.manifest}: line {n} is not a manifest entry")
    if len(set(indices)) != len(indices):
        problems.append(f"{store.manifest}: a sample is listed twice")
    return sorted(set(indices))


def _read_coco(path: Path, problems: list[str]) -> tuple[dict, dict] | None:
    try:
        coco = json.loads(path.read_bytes())
        by_image: dict[int, list[dict]] = {}
        for a in coco["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        return {im["sample_index"]: im for im in coco["images"]}, by_image
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"{path}: unreadable COCO file ({exc.__class__.__name__})")
        return None


def _check_sample(store: DatasetStore, i: int, coco, problems: list[str]) -> int:
    """Problems of sample ``i`` (one line per bad file); its instance count."""
    from ..annotate import semantic_mask

    rec_path = store.path("particles", i)
    try:
        rec = store.read_record(i)
    except (OSError, ValueError) as exc:
        problems.append(f"{rec_path}: unreadable ({exc.__class__.__name__})")
        return 0
    files = rec.get("files") or {}
    arrays = {}
    for kind in IMAGES:
        path = store.path(kind, i)
        try:
            arrays[kind] = _decode_png(path, files.get(kind))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: {exc.strerror if isinstance(exc, OSError) else exc}")
    if len(arrays) < len(IMAGES):
        return 0
    image, inst, sem = arrays["images"], arrays["instances"], arrays["semantic"]
    where = f"{store.root / 'instances' / store.name(i)}.png"
    if inst.dtype != np.uint16 or image.shape[:2] != inst.shape or sem.shape != inst.shape:
        problems.append(f"{where}: image/mask sizes or types disagree")
        return 0
    if not np.array_equal(sem, semantic_mask(inst)):
        problems.append(f"{store.path('semantic', i)}: does not match the instance mask")
    ids = set(np.unique(inst).tolist()) - {0}
    if not ids <= {p.get("id") for p in rec.get("particles", []) if isinstance(p, dict)}:
        problems.append(f"{rec_path}: instance ids of the mask are missing")
    if coco is None:
        return len(ids)
    images, by_image = coco
    coco_path = store.root / "annotations.json"
    if i not in images:
        problems.append(f"{coco_path}: sample {store.name(i)} missing")
        return len(ids)
    anns = by_image.get(images[i]["id"], [])
    if {a.get("particle_id") for a in anns} != ids:
        problems.append(f"{coco_path}: annotations of sample {store.name(i)} do not match its mask")
    else:
        for a in anns:
            if not np.array_equal(rle_decode(a["segmentation"]), inst == a["particle_id"]):
                problems.append(f"{coco_path}: mask of particle {a['particle_id']} in sample "
                                f"{store.name(i)} differs")
                break
    return len(ids)


def validate_dataset(root: Path, count: int | None = None) -> dict:
    """Manifest lists each sample once; every sample's files decode, match the sizes and
    checksums written, and agree (image and masks same size, semantic = f(instances),
    particles JSON ids cover the mask); the COCO file decodes to exactly the instance
    masks. Raises IncompleteDataset for a stopped render, InvalidDataset naming every
    bad file, DganError for a folder that is no data set."""
    store = DatasetStore(Path(root))
    if not store.root.is_dir():
        raise DganError(f"{root}: no such folder; give a data set written by 'dgan render'")
    record = provenance.read(store.root)
    coco_path = store.root / "annotations.json"
    missing = [p.name for p in (store.manifest, coco_path) if not p.is_file()]
    if missing:
        if record is None and not (store.root / "particles").is_dir():
            raise DganError(f"{root}: not a data set written by 'dgan render' (no {missing[0]})")
        raise IncompleteDataset(
            f"{root}: incomplete data set ({_made_by(record)}no {missing[0]}, its render was "
            "stopped or failed); rerun 'dgan render' with the same arguments to finish it")
    problems: list[str] = []
    indices = _read_manifest(store, problems)
    if count is not None and not set(range(count)) <= set(indices):
        have = len(set(indices) & set(range(count)))
        raise IncompleteDataset(f"{store.manifest}: {_made_by(record)}{have} of {count} samples; "
                                "rerun 'dgan render' with the same arguments to finish it")
    if count is not None and len(indices) > count:
        problems.append(f"{store.manifest}: lists {len(indices)} samples, not the {count} of --count")
    coco = _read_coco(coco_path, problems)
    n_instances = sum(_check_sample(store, i, coco, problems) for i in indices)
    if problems:
        raise InvalidDataset(f"{root}: {len(problems)} bad file(s) (listed above); {REPAIR} them",
                             problems)
    return {"samples": len(indices), "instances": n_instances, "ok": True}
