"""Realism figures of synthetic images against real ones (no downloaded weights)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .micrograph_options import PIXEL_SIZE_HELP, BarRows, OldCropBottom, either


def _synthetic_pixel_size(first: Path) -> float | None:
    """A data set written by ``dgan render`` keeps each sample's pixel size beside it."""
    meta = first.parent.parent / "particles" / (first.stem + ".json")
    try:
        return float(json.loads(meta.read_text())["pixel_size_nm"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


def realism(
    real: Annotated[str, typer.Option(help="Folder or glob of real micrographs (TIFF/PNG/JPEG).")],
    synthetic: Annotated[str, typer.Option(help="Folder or glob of synthetic images (e.g. DATA/images).")],
    pixel_size_nm: Annotated[Optional[float], typer.Option(help="Pixel size of the synthetic images (default: from DATA/particles/*.json); real images are resampled to it.")] = None,
    real_pixel_size_nm: Annotated[Optional[float], typer.Option(min=0.0, help=PIXEL_SIZE_HELP)] = None,
    bar_rows: BarRows = None,
    crop_bottom: OldCropBottom = None,
    patch: Annotated[int, typer.Option(min=16, help="Compare patches of this size (px).")] = 256,
    count: Annotated[int, typer.Option(min=0, help="Real patches to sample (0: as many as synthetic images, at least 8).")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of patch sampling and projections (saved in the output).")] = 0,
) -> None:
    """Sliced Wasserstein distance on Laplacian-pyramid patches (x1e3; lower is more real),
    grey-level histogram and power-spectrum distances."""
    import numpy as np

    from ..errors import DganError
    from ..fit.real import load_real, patches_with_particles
    from ..micrograph import list_micrographs, read_micrograph
    from ..realism import realism as measure

    syn_paths = list_micrographs(synthetic)
    syn = [read_micrograph(p, bar_rows=0).grey for p in syn_paths]
    for p, s in zip(syn_paths, syn):
        if min(s.shape) < patch:
            raise DganError(f"{p}: {s.shape[1]}x{s.shape[0]} px is smaller than the {patch} px patch; lower --patch")
    target = pixel_size_nm or _synthetic_pixel_size(Path(syn_paths[0]))
    if target is None:
        raise DganError(f"{syn_paths[0]}: no pixel size known for the synthetic images; give --pixel-size-nm")
    real_imgs = [r.image for r in load_real(real, target, real_pixel_size_nm, either(bar_rows, crop_bottom),
                                           min_size_px=patch, flag="--real-pixel-size-nm")]
    rng = np.random.default_rng(seed)
    real_p = list(patches_with_particles(real_imgs, patch, count or max(len(syn), 8), rng))
    r = measure(real_p, [s[:patch, :patch] for s in syn], seed=seed)
    r.update(seed=seed, pixel_size_nm=target, patch=patch)
    if json_out:
        typer.echo(json.dumps(r))
    else:
        for k, v in r.items():
            typer.echo(f"{k:14s} {v}")
