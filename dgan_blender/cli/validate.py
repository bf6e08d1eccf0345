"""Check a rendered data set: manifest, files, masks and COCO agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer


def validate(
    data: Annotated[Path, typer.Argument(help="A data set written by 'dgan render'.")],
    count: Annotated[Optional[int], typer.Option(help="Expect exactly samples 0..count-1.")] = None,
) -> None:
    """Exits 0 and prints a JSON summary when every sample is complete and consistent."""
    from ..dataset.validate import validate_dataset

    print(json.dumps(validate_dataset(data, count)))
