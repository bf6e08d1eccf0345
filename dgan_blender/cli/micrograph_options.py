"""The real-micrograph options, one spelling and one help text on every command that
reads real images (fit, realism, eval, segment, prior, measure, train --val). The old
spellings stay as hidden aliases so existing scripts keep working."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

PIXEL_SIZE_HELP = ("Pixel size of the real micrographs in nm/px: overrides their metadata (a note is printed "
                   "when the two differ by more than 1 %); needed when the metadata lacks it.")
BAR_ROWS_HELP = "Information-bar height in px at the bottom of the real micrographs (default: detected per image)."

PixelSizeNm = Annotated[Optional[float], typer.Option("--pixel-size-nm", min=0.0, help=PIXEL_SIZE_HELP)]
OldPixelSize = Annotated[Optional[float], typer.Option("--pixel-size", min=0.0, hidden=True)]
BarRows = Annotated[Optional[int], typer.Option("--bar-rows", min=0, help=BAR_ROWS_HELP)]
OldCropBottom = Annotated[Optional[int], typer.Option("--crop-bottom", min=0, hidden=True)]


def either(new, old):
    """The option's value under its current spelling, else under the old one."""
    return new if new is not None else old
