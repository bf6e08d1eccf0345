"""Batch entry with bpy as a module: ``python -m dgan_blender.module_batch render ARGS`` takes
exactly the arguments of ``dgan render`` (and of every other ``dgan`` command); inside
a Blender executable, ``blender -b -P addon/headless.py -- render ARGS`` forwards here."""

from __future__ import annotations

import sys


def args_after_dashes(argv: list[str]) -> list[str]:
    """Blender passes its own options first; ours follow the first ``--``."""
    return argv[argv.index("--") + 1:] if "--" in argv else argv[1:]


def main(argv: list[str] | None = None) -> None:
    from .cli import main as cli_main

    cli_main(args_after_dashes(sys.argv if argv is None else argv))


if __name__ == "__main__":
    main()
