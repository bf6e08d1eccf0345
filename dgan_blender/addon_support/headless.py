"""What ``blender -b -P addon/headless.py -- COMMAND ARGS`` runs, inside any Blender.

Where this interpreter has the whole library (the bpy wheel in the project's venv), the
arguments go to the ``dgan`` command line itself, so every command behaves exactly as in
a shell. A Blender executable's own Python has only numpy: there ``scene`` is built and
rendered by that Blender (the project's environment computes the layout and writes the
annotation files), and other commands run in the project's environment, with the same
arguments, output and exit code.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from ..errors import DganError
from .env import clean_env, full_stack_here, resolve_python


def scene_parser() -> argparse.ArgumentParser:
    """The options of ``dgan scene`` (kept in step by the add-on tests)."""
    p = argparse.ArgumentParser(prog="headless.py scene", description="One annotated scene.")
    p.add_argument("--preset", default="tio2-sem")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="scene")
    p.add_argument("--size", type=int)
    p.add_argument("--spp", type=int)
    p.add_argument("--config")
    p.add_argument("--set", dest="set_", action="append", default=[])
    return p


def run_scene(argv: list[str], python: str | None = None) -> dict:
    from pathlib import Path

    from ..config import flag_overrides, load_config
    from .scene_build import batch_scene

    a = scene_parser().parse_args(argv)
    cfg = load_config(a.preset, a.set_, user_file=Path(a.config) if a.config else None,
                      extra=flag_overrides(a.size, a.spp))
    return batch_scene(cfg, a.seed, Path(a.out), python)


def delegate(argv: list[str], python: str | None = None) -> int:
    """Run ``dgan ARGS`` in the project's environment, streaming its output."""
    py = resolve_python(python)
    return subprocess.call([str(py), "-m", "dgan_blender", *argv], env=clean_env())


def main(argv: list[str], python: str | None = None) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: blender -b -P addon/headless.py -- COMMAND [ARGS]   (COMMAND: any 'dgan' "
              "command, e.g. scene, render)")
        return 0 if argv else 2
    if full_stack_here():
        from ..module_batch import main as library_batch

        try:
            library_batch(["batch", "--", *argv])
        except SystemExit as exc:
            return int(exc.code or 0) if not isinstance(exc.code, str) else 1
        return 0
    try:
        if argv[0] == "scene" and not any(a in ("-h", "--help") for a in argv):
            print(json.dumps(run_scene(argv[1:], python)))
            return 0
        return delegate(argv, python)
    except DganError as exc:
        print(f"dgan: error: {exc}", file=sys.stderr)
        return exc.exit_code
