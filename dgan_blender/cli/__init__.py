"""The ``dgan`` command line: one Typer sub-app per file, each a thin shell over the library."""

from __future__ import annotations

import sys

import typer

from ..errors import DganError
from . import addon as addon_cli
from . import apply, bridge, doctor, export, fit, realism, render, scene, validate
from . import eval as eval_cmd, prior, segment

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
app.command("apply", help=apply.__doc__)(apply.apply)
app.command("validate", help=validate.__doc__)(validate.validate)
app.add_typer(export.app, name="export")
app.command("eval", help=eval_cmd.__doc__)(eval_cmd.eval_)
app.command("segment", help=segment.__doc__)(segment.segment)
app.add_typer(bridge.app, name="bridge")
app.add_typer(addon_cli.app, name="addon")
app.command("fit", help=fit.__doc__)(fit.fit)
app.command("realism", help=realism.__doc__)(realism.realism)
app.command("prior", help=prior.__doc__)(prior.prior)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except DganError as exc:
        print(f"dgan: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
