"""``dgan eval``: train on one annotated folder, measure on another.

Test images are predicted at the training pixel size and the class probabilities are
resampled back, so the metrics are always computed against the untouched manual masks at
their own resolution.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from ..annotate import BOUNDARY, contact_sheet, semantic_mask
from ..errors import DganError
from ..io import write_json, write_png
from .data import Sample, load_annotated, normalise, resample
from .instances import MIN_AREA_PX, probabilities_to_instances
from .metrics import evaluate_pairs
from .train import TrainSettings, device, predict, save_model, train
from .unet import count_parameters

HEADLINE = ("dsc", "ap50", "pq", "ap50_min20", "pq_min20")


def segment_sample(model, sample: Sample, pixel_size_nm: float, min_seed_px: int = 4,
                   min_area_px: int = MIN_AREA_PX) -> np.ndarray:
    """Instance ids at the sample's own resolution (info bar already cropped)."""
    f = sample.pixel_size_nm / pixel_size_nm
    probs = predict(model, normalise(resample(sample.image, f)))
    if abs(f - 1.0) > 1e-6:
        h, w = sample.image.shape
        probs = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) for p in probs])
    return probabilities_to_instances(probs, min_seed_px=min_seed_px, min_area_px=min_area_px)


def training_pixel_size(samples: list[Sample]) -> float:
    """The median: mixed sets are resampled to their typical pixel size."""
    return float(np.median([s.pixel_size_nm for s in samples]))


def overlay(image: np.ndarray, truth: np.ndarray | None, pred: np.ndarray, scale: float = 0.5) -> np.ndarray:
    """Grey image with true contours in green and predicted ones in red (yellow where
    both agree); contours are thickened so that they survive the downscale."""
    rgb = np.repeat(image[..., None], 3, axis=2).copy()
    kernel = np.ones((3, 3), np.uint8)

    def edge(inst):
        if inst is None:
            return np.zeros(image.shape, bool)
        return cv2.dilate((semantic_mask(inst) == BOUNDARY).astype(np.uint8), kernel) > 0

    true_edge, pred_edge = edge(truth), edge(pred)
    rgb[true_edge] = (0, 255, 0)
    rgb[pred_edge] = (255, 0, 0)
    rgb[true_edge & pred_edge] = (255, 255, 0)
    h, w = image.shape
    return cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def _pad_to(tile: np.ndarray, h: int, w: int) -> np.ndarray:
    return np.pad(tile, ((0, h - tile.shape[0]), (0, w - tile.shape[1]), (0, 0)), constant_values=40)


def write_sheet(path: Path, tiles: list[np.ndarray]) -> None:
    h = max(t.shape[0] for t in tiles)
    w = max(t.shape[1] for t in tiles)
    write_png(path, contact_sheet([_pad_to(t, h, w) for t in tiles], columns=min(2, len(tiles))))


def evaluate(train_dir: Path, test_dir: Path, out: Path, settings: TrainSettings,
             train_names=None, test_names=None, bar_rows: int | None = None,
             pixel_size_nm: float | None = None, min_area_px: int = MIN_AREA_PX, log=print) -> dict:
    """Trains, predicts, scores; writes OUT/metrics.json, model.pt, predictions.png."""
    out = Path(out)
    t0 = time.monotonic()
    train_set = load_annotated(train_dir, train_names, bar_rows, pixel_size_nm, log=log)
    test_set = load_annotated(test_dir, test_names, bar_rows, pixel_size_nm, log=log)
    px = training_pixel_size(train_set)
    log(f"train: {len(train_set)} images from {train_dir} at {px:g} nm/px; "
        f"test: {len(test_set)} images from {test_dir}; device {device()}")
    model, history = train(train_set, settings, px, log=log)
    t_train = time.monotonic() - t0
    meta = {"pixel_size_nm": px, "seed": settings.seed, "epochs": settings.epochs,
            "patch": settings.patch, "batch": settings.batch, "lr": settings.lr,
            "dice": settings.dice, "augment": settings.augment, "base": settings.base, "train": str(train_dir),
            "n_train_images": len(train_set), "classes": ["background", "particle", "boundary"]}
    save_model(out / "model.pt", model, meta)
    pairs, tiles, per_image = [], [], []
    for s in test_set:
        pred = segment_sample(model, s, px, min_area_px=min_area_px)
        pairs.append((s.instances, pred))
        tiles.append(overlay(s.image, s.instances, pred))
        one = evaluate_pairs([(s.instances, pred)])
        per_image.append({"name": s.name, **{k: round(one[k], 4) for k in HEADLINE}})
    if not pairs:
        raise DganError(f"{test_dir}: no test images; give a folder with annotated images")
    metrics = evaluate_pairs(pairs)
    metrics.update({
        "seed": settings.seed, "epochs": settings.epochs, "epochs_run": len(history),
        "train": str(train_dir), "test": str(test_dir), "n_train_images": len(train_set),
        "pixel_size_nm": px, "min_area_px": min_area_px, "n_parameters": count_parameters(model),
        "train_seconds": round(t_train, 1), "total_seconds": round(time.monotonic() - t0, 1),
        "history": history, "per_image": per_image,
    })
    write_json(out / "metrics.json", metrics)
    write_sheet(out / "predictions.png", tiles)
    return metrics
