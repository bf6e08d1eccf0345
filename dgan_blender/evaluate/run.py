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
from .instances import MIN_AREA_PX
from .metrics import evaluate_pairs
from .necks import split_necks
from .sizes import compare, instance_diameters_nm
from .train import TrainSettings, device, predict, save_model, train
from .unet import count_parameters

HEADLINE = ("dsc", "ap50", "pq", "ap50_min20", "pq_min20")


def sample_probabilities(model, sample: Sample, pixel_size_nm: float) -> np.ndarray:
    """(3, H, W) class probabilities at the sample's own resolution (predicted at the
    model's pixel size, resampled back)."""
    f = sample.pixel_size_nm / pixel_size_nm
    probs = predict(model, normalise(resample(sample.image, f)))
    if abs(f - 1.0) > 1e-6:
        h, w = sample.image.shape
        probs = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) for p in probs])
    return probs


def segment_sample(model, sample: Sample, pixel_size_nm: float, min_seed_px: int = 4,
                   min_area_px: int = MIN_AREA_PX, split_h: float | None = None,
                   boundary_weight: float = 1.0) -> np.ndarray:
    """Instance ids at the sample's own resolution (info bar already cropped);
    ``split_h``: split particles at necks of that depth, ``boundary_weight``: the
    boundary class's weight in the seeds (both ``necks``)."""
    probs = sample_probabilities(model, sample, pixel_size_nm)
    return split_necks(probs, split_h, min_seed_px=min_seed_px, min_area_px=min_area_px,
                       boundary_weight=boundary_weight)


def training_pixel_size(samples: list[Sample]) -> float:
    """The median: mixed sets are resampled to their typical pixel size."""
    return float(np.median([s.pixel_size_nm for s in samples]))


def overlay(image: np.ndarray, truth: np.ndarray | None, pred: np.ndarray, scale: float = 0.5,
            dropped: np.ndarray | None = None) -> np.ndarray:
    """Grey image with true contours in green and predicted ones in red (yellow where
    both agree), ``dropped`` detections in blue; contours are thickened so that they
    survive the downscale."""
    rgb = np.repeat(image[..., None], 3, axis=2).copy()
    kernel = np.ones((3, 3), np.uint8)

    def edge(inst):
        if inst is None:
            return np.zeros(image.shape, bool)
        return cv2.dilate((semantic_mask(inst) == BOUNDARY).astype(np.uint8), kernel) > 0

    true_edge, pred_edge = edge(truth), edge(pred)
    rgb[edge(dropped)] = (40, 120, 255)
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


def size_comparison(samples: list[Sample], preds: list[np.ndarray]) -> dict:
    """Predicted vs true size distributions pooled over the images: off-border particles
    of at least ``MIN_AREA_PX`` on both sides, each at its image's pixel size (the true
    side of a real folder is its mask's 4-connected particles). NaN becomes None so that
    metrics.json stays valid JSON."""
    found = [instance_diameters_nm(p, s.pixel_size_nm) for s, p in zip(samples, preds)]
    truth = [instance_diameters_nm(s.instances, s.pixel_size_nm) for s in samples]
    out = compare(np.concatenate(found or [np.zeros(0)]), np.concatenate(truth or [np.zeros(0)]))
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in out.items()}


def score(model, samples: list[Sample], pixel_size_nm: float, min_area_px: int = MIN_AREA_PX,
          with_tiles: bool = False) -> tuple[dict, list[np.ndarray]]:
    """Pooled metrics (DSC, AP50, PQ, sizes) and the per-image headline figures of a model
    on annotated samples; with ``with_tiles`` also the overlays for predictions.png."""
    pairs, tiles, per_image = [], [], []
    for s in samples:
        pred = segment_sample(model, s, pixel_size_nm, min_area_px=min_area_px)
        pairs.append((s.instances, pred))
        if with_tiles:
            tiles.append(overlay(s.image, s.instances, pred))
        one = evaluate_pairs([(s.instances, pred)])
        per_image.append({"name": s.name, **{k: round(one[k], 4) for k in HEADLINE}})
    metrics = evaluate_pairs(pairs)
    metrics["sizes"] = size_comparison(samples, [p for _, p in pairs])
    metrics["per_image"] = per_image
    return metrics, tiles


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
            "dice": settings.dice, "augment": settings.augment, "contact_px": settings.contact_px,
            "base": settings.base, "train": str(train_dir),
            "n_train_images": len(train_set), "classes": ["background", "particle", "boundary"],
            "trained_by": "dgan eval", "epochs_run": len(history), "history": history, "versions": versions()}
    save_model(out / "model.pt", model, meta)
    if not test_set:
        raise DganError(f"{test_dir}: no test images; give a folder with annotated images")
    scores, tiles = score(model, test_set, px, min_area_px, with_tiles=True)
    metrics = {k: v for k, v in scores.items() if k != "per_image"}
    metrics.update({
        "seed": settings.seed, "epochs": settings.epochs, "epochs_run": len(history),
        "train": str(train_dir), "test": str(test_dir), "n_train_images": len(train_set),
        "pixel_size_nm": px, "min_area_px": min_area_px, "n_parameters": count_parameters(model),
        "train_seconds": round(t_train, 1), "total_seconds": round(time.monotonic() - t0, 1),
        "history": history, "per_image": scores["per_image"],
    })
    write_json(out / "metrics.json", metrics)
    write_sheet(out / "predictions.png", tiles)
    return metrics


def versions() -> dict:
    """The versions that decide what a model computes."""
    import torch

    from .. import __version__

    return {"dgan": str(__version__), "torch": str(torch.__version__), "numpy": str(np.__version__)}
