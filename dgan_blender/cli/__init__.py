"""The ``dgan`` command line: one Typer sub-app per file, each a thin shell over the library."""

from __future__ import annotations

import errno
import logging
import signal
import sys
import threading

import typer

from ..errors import DganError
from . import addon as addon_cli
from . import apply, bridge, doctor, export, fit, realism, render, scene, validate
from . import eval as eval_cmd, measure, prior, segment, train

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
app.command("train", help=train.__doc__)(train.train)
app.add_typer(bridge.app, name="bridge")
app.add_typer(addon_cli.app, name="addon")
app.command("fit", help=fit.__doc__)(fit.fit)
app.command("realism", help=realism.__doc__)(realism.realism)
app.command("measure", help=measure.__doc__)(measure.measure)
app.command("prior", help=prior.__doc__)(prior.prior)


_HINTS = {
    errno.ENOSPC: "free space, then rerun the same command to continue",
    errno.EDQUOT: "free space, then rerun the same command to continue",
    errno.EFBIG: "the file size limit was reached; raise it, then rerun the same command",
    errno.EROFS: "choose a folder you can write",
    errno.EACCES: "choose a folder you can write",
    errno.EPERM: "choose a folder you can write",
}
INTERRUPTED = 130


def os_error_line(exc: OSError) -> str:
    """An OS failure (full or read-only disk, a missing permission) as one line: the
    path, the OS's reason and what to do. Work already written stays valid."""
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or str(exc) or exc.__class__.__name__
    hint = _HINTS.get(exc.errno)
    return f"{where}{what}" + (f"; {hint}" if hint else "")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2; OS errors one
    line and exit 1; Ctrl-C one line and exit 130 - never a traceback."""
    _quiet_on_interrupt()
    try:
        app(args=argv, standalone_mode=True)
    except DganError as exc:
        print(f"dgan: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except OSError as exc:
        print(f"dgan: error: {os_error_line(exc)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # outside the command (Typer turns one inside into exit 130)
        sys.exit(_interrupted())
    except SystemExit as exc:
        if exc.code == INTERRUPTED:
            _interrupted()
        raise


def _on_sigint(signum, frame):  # noqa: ARG001 - a signal handler's signature
    # Dask's client, unwinding from the interrupt on its event-loop thread, logged an
    # ERROR with a traceback of its own (distributed 2025: NameError in sync's cancel
    # callback; the scheduler's "Couldn't gather keys") before this line was printed.
    # From the Ctrl-C on, the job's only words are the one line below.
    logging.disable(logging.CRITICAL)
    raise KeyboardInterrupt


def _quiet_on_interrupt() -> None:
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def _interrupted() -> int:
    print("dgan: interrupted; finished work is kept - rerun the same command to continue",
          file=sys.stderr)
    return INTERRUPTED
