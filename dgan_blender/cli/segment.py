"""Segment new micrographs with a trained model and measure every particle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .micrograph_options import BarRows, OldPixelSize, PixelSizeNm, either


def segment(
    model: Annotated[Path, typer.Option(help="model.pt written by 'dgan train' or 'dgan eval'.")],
    images: Annotated[Path, typer.Option(help="Folder of micrographs (TIFF, PNG, JPEG, BMP), or its images/ subfolder.")],
    out: Annotated[Path, typer.Option(help="Output folder: instances/, particles.csv, size_distribution.png.")] = Path("segmented"),
    bar_rows: BarRows = None,
    pixel_size_nm: PixelSizeNm = None,
    pixel_size: OldPixelSize = None,
    min_area_px: Annotated[int, typer.Option(min=0, help="Predicted instances under this many px are dropped (0: keep all).")] = 20,
    split_necks: Annotated[float | None, typer.Option(
        min=0.01, max=2.0, help="Split joined particles at necks this deep (x the median particle radius); "
                                "dgan measure chooses it on held-out synthetic images (its 05-segment record). "
                                "Default: no splitting.")] = None,
    boundary_weight: Annotated[float, typer.Option(
        min=1.0, max=1000.0, help="Weight of the network's boundary class when it finds each particle's seed: above 1 "
                                  "a faint boundary between touching particles still cuts them. dgan measure "
                                  "chooses it on held-out synthetic images (its 05-segment record).")] = 1.0,
    ground_check: Annotated[bool, typer.Option(
        "--ground-check/--no-ground-check", help="Drop detections with no pixel in the micrographs' own foreground "
                                                 "(one grey-level threshold pooled over them): substrate texture "
                                                 "taken for particles. dgan measure does.")] = False,
) -> None:
    """Writes OUT/instances/NAME.png (uint16 ids), OUT/particles.csv (equivalent diameter
    in nm, area, circularity, touching neighbours, border flag) and OUT/size_distribution.png."""
    from ..evaluate.measure import segment_folder

    summary = segment_folder(model, images, out, bar_rows=bar_rows, pixel_size_nm=either(pixel_size_nm, pixel_size),
                             min_area_px=min_area_px, split_h=split_necks, boundary_weight=boundary_weight,
                             ground_check=ground_check, log=lambda msg: typer.echo(msg, err=True))
    print(json.dumps(summary))
