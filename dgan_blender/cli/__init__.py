"""The ``dgan`` command line: one Typer sub-app per file, each a thin shell over the library."""

from __future__ import annotations

import sys

import typer

from ..errors import DganError
from . import bridge, doctor, export, render, scene

app = typer.Typer(
    name="dgan",
    help="Annotated synthetic microscopy images of nanoparticles, made realistic by "
    "differentiable rendering against real micrographs (DiffRenderGAN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("doctor", help=doctor.__doc__)(doctor.doctor)
app.command("scene", help=scene.__doc__)(scene.scene)
app.command("render", help=render.__doc__)(render.render)
app.add_typer(export.app, name="export")
app.add_typer(bridge.app, name="bridge")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except DganError as exc:
        print(f"dgan: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
