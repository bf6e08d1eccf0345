"""Train the benchmark U-Net on one annotated folder and score it on real micrographs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .micrograph_options import BarRows, OldPixelSize, PixelSizeNm, either


def eval_(
    train: Annotated[Path, typer.Option(help="Training set: a 'dgan render' folder or a real one (images/NAME.tif + masks/NAME_m.tif).")],
    test: Annotated[Path, typer.Option(help="Test set, usually real annotated micrographs (same layouts).")],
    out: Annotated[Path, typer.Option(help="Output folder: metrics.json, model.pt, predictions.png.")] = Path("eval"),
    epochs: Annotated[int, typer.Option(min=1, help="Epochs; one epoch draws as many patches as cover the training pixels once.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of weight initialisation and patch draws (saved in the outputs).")] = 0,
    time_limit: Annotated[Optional[float], typer.Option(min=1, help="Wall-clock budget in minutes (the LR schedule follows it; --epochs is then a maximum).")] = None,
    patch: Annotated[int, typer.Option(min=32, help="Training patch side in px (a multiple of 16).")] = 256,
    batch: Annotated[int, typer.Option(min=1, help="Patches per step.")] = 8,
    dice: Annotated[bool, typer.Option(help="Add a soft Dice term to the cross-entropy.")] = True,
    bar_rows: BarRows = None,
    pixel_size_nm: PixelSizeNm = None,
    pixel_size: OldPixelSize = None,
    min_area_px: Annotated[int, typer.Option(min=0, help="Predicted instances under this many px are dropped (0: keep all).")] = 20,
    augment: Annotated[bool, typer.Option(help="nnU-Net's intensity augmentations (noise, blur, brightness, contrast, low resolution, gamma); slower to converge.")] = False,
    contact_px: Annotated[int, typer.Option(min=1, help="Width (px, each side) of the boundary class where two particles touch (see 'dgan train').")] = 1,
) -> None:
    """Writes OUT/metrics.json (dsc, ap50, pq, n_test_images, *_min20 with instances under
    20 px dropped, sizes: predicted vs true size distribution), OUT/model.pt and
    OUT/predictions.png (true contours green, predicted red)."""
    from ..errors import DganError
    from ..evaluate.run import HEADLINE, evaluate
    from ..evaluate.train import TrainSettings

    if patch % 16:
        raise DganError(f"--patch {patch}: must be a multiple of 16, e.g. {patch // 16 * 16 or 16}")
    settings = TrainSettings(epochs=epochs, seed=seed, patch=patch, batch=batch, dice=dice, augment=augment,
                             contact_px=contact_px,
                             time_limit_s=None if time_limit is None else time_limit * 60)
    metrics = evaluate(train, test, out, settings, bar_rows=bar_rows, pixel_size_nm=either(pixel_size_nm, pixel_size),
                       min_area_px=min_area_px,
                       log=lambda msg: typer.echo(msg, err=True))
    sizes = {k: metrics["sizes"].get(k) for k in ("median_error_pct", "wasserstein_nm", "ks")}
    print(json.dumps({k: round(metrics[k], 4) for k in HEADLINE} | sizes
                     | {"n_test_images": metrics["n_test_images"], "out": str(out)}))
