"""The Blender extension: build its installable zip (no Blender executable needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("build")
def build(
    out: Annotated[Path, typer.Option(help="Folder for the zip (created).")] = Path("dist"),
) -> None:
    """Validates addon/blender_manifest.toml and writes OUT/dgan-VERSION.zip with Blender's
    own extension builder (shipped in the bpy wheel); prints the zip's path."""
    from ..addon_support.build import build_extension

    print(build_extension(out))
