"""Check a rendered data set: manifest, files, masks and COCO agree."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer


def validate(
    data: Annotated[Path, typer.Argument(help="A data set written by 'dgan render'.")],
    count: Annotated[Optional[int], typer.Option(help="Expect exactly samples 0..count-1.")] = None,
) -> None:
    """Exits 0 and prints a JSON summary when every sample is complete and consistent;
    otherwise names each bad file on its own line and exits 1 (2 for a folder that is
    no data set)."""
    from ..dataset.validate import InvalidDataset, validate_dataset

    try:
        summary = validate_dataset(data, count)
    except InvalidDataset as exc:
        for line in exc.problems:
            print(f"dgan: {line}", file=sys.stderr)
        raise
    print(json.dumps(summary))
