"""Train the segmentation network on synthetic data sets alone (no annotated real image needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .micrograph_options import OldPixelSize, PixelSizeNm, either


def train(
    out: Annotated[Path, typer.Option(help="Model folder: model.pt (for 'dgan segment --model'), curve.json, run.json.")],
    data: Annotated[Optional[list[Path]], typer.Option(metavar="DIR", help="A data set written by 'dgan render' (repeatable; all of one pixel size).")] = None,
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Epochs (default 10); with --time-limit the most it may plan. One epoch draws as many patches as cover the training pixels once.")] = None,
    time_limit: Annotated[Optional[float], typer.Option(min=0.01, help="Training budget in minutes (validation not counted): turned into a number of epochs (recorded as epochs_planned) from a few timed steps; stops early after the epoch that crosses it if epochs run slower.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of weight initialisation and patch draws (saved in model.pt).")] = 0,
    val: Annotated[Optional[Path], typer.Option(help="Annotated real images (images/NAME.tif + masks/NAME_m.tif), scored after epochs; never selects or stops.")] = None,
    val_every: Annotated[int, typer.Option(min=1, help="Score --val after every N-th epoch (and the last).")] = 1,
    pixel_size_nm: PixelSizeNm = None,
    pixel_size: OldPixelSize = None,
    patch: Annotated[int, typer.Option(min=32, help="Training patch side in px (a multiple of 16).")] = 256,
    batch: Annotated[int, typer.Option(min=1, help="Patches per step.")] = 8,
    augment: Annotated[bool, typer.Option(help="nnU-Net's intensity augmentations (noise, blur, brightness, contrast, low resolution, gamma).")] = False,
    contact_px: Annotated[int, typer.Option(min=1, help="Width (px, each side) of the boundary class where two particles touch; 1: one-pixel lines as against the background. Wider lines teach the network to keep touching particles apart.")] = 1,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for training (default: torch's, one per core); fewer help on a busy machine.")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Start over in an OUT made with other settings (deletes its model and training state).")] = False,
) -> None:
    """Writes OUT/model.pt with what a later user needs to trust it (pixel size, preset and
    look of the data, data set digests, seed, versions, training curve, epochs, times)
    and prints a JSON summary. A rerun after a kill continues from the last epoch."""
    from ..errors import DganError
    from ..evaluate.train import TrainSettings
    from ..evaluate.train_job import train_model

    if patch % 16:
        raise DganError(f"--patch {patch}: must be a multiple of 16, e.g. {patch // 16 * 16 or 16}")
    settings = TrainSettings(patch=patch, batch=batch, augment=augment, threads=threads, contact_px=contact_px)
    summary = train_model(data or [], out, epochs=epochs, time_limit_min=time_limit, seed=seed, val=val,
                          settings=settings, val_every=val_every, val_pixel_size_nm=either(pixel_size_nm, pixel_size),
                          restart=restart, log=lambda msg: typer.echo(msg, err=True))
    print(json.dumps(summary))
