"""Estimate a scene preset (sizes, shapes, coverage, agglomerates, stacking, polarity) from unannotated micrographs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import list_presets
from .micrograph_options import PixelSizeNm


def prior(
    real: Annotated[str, typer.Option(help="Folder or glob of real micrographs (TIFF/PNG/JPEG); never masks.")],
    out: Annotated[Path, typer.Option(help="Preset TOML to write; prior.png is written beside it.")],
    base: Annotated[str, typer.Option(help=f"Preset ({', '.join(list_presets())}) or TOML whose look and "
                                           "non-geometry fields the new preset keeps.")] = "tio2-sem",
    pixel_size_nm: PixelSizeNm = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic layouts used to calibrate the estimator.")] = 0,
    passes: Annotated[int, typer.Option(min=1, help="Calibration passes (synthetic sets).")] = 6,
    layouts: Annotated[int, typer.Option(min=2, help="Synthetic layouts per pass.")] = 16,
    render: Annotated[bool, typer.Option(help="Calibrate on rendered images with the base's look (Blender + Mitsuba); "
                                              "--no-render: on Blender-free footprints (faster, blind to halos).")] = True,
    shape: Annotated[Optional[str], typer.Option(help="Particle shape family to write (ellipsoid, sphere, polyhedron, "
                                                      "cuboid, rod, plate); default: rods where clearly rods, spheres "
                                                      "where round, else ellipsoids.")] = None,
    layers: Annotated[Optional[str], typer.Option(help="Stacking to write: 2d (a monolayer) or 3d (piles); default: "
                                                       "the base's, or 2d where piles could not cover as much "
                                                       "ground as the images show.")] = None,
) -> None:
    """Writes OUT (a preset that dgan fit/render take as --preset OUT) with a [prior.meta]
    table saying how each value was found, and prior.png; prints the meta as one JSON line."""
    from ..prior.api import infer_prior

    if pixel_size_nm is not None and pixel_size_nm <= 0:
        from ..errors import DganError

        raise DganError(f"--pixel-size-nm must be > 0, got {pixel_size_nm}")
    meta = infer_prior(real, out, base=base, pixel_size_nm=pixel_size_nm, seed=seed, passes=passes,
                       layouts=layouts, render=render, shape=shape, layers=layers, log=lambda m: typer.echo(m, err=True))
    print(json.dumps({k: v for k, v in meta.items() if k != "calibration"}))
