"""The project's Python environment, seen from inside Blender.

Blender's Python cannot import the project's compiled dependencies (different Python and
numpy versions), so the add-on keeps a path to the project's environment, asks it where
the project lives and which ``dgan`` commands it has, and puts only the project's source
folder (never its site-packages) on Blender's ``sys.path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DganError

_PROBE = r"""
import json, os, sys
import dgan_blender
out = {"python": sys.executable, "version": sys.version.split()[0],
       "root": os.path.dirname(os.path.dirname(os.path.abspath(dgan_blender.__file__)))}
try:
    import typer
    from dgan_blender.cli import app
    out["commands"] = sorted(typer.main.get_command(app).commands)
except Exception as exc:
    out["commands"] = []
    out["cli_error"] = f"{type(exc).__name__}: {exc}"
print("DGAN_PROBE " + json.dumps(out))
"""


@dataclass
class ProjectEnv:
    """What a working environment answered: its interpreter, the project folder, commands."""

    python: str
    root: str
    version: str
    commands: list[str] = field(default_factory=list)

    def has(self, command: str) -> bool:
        return command in self.commands


def python_from(path: str | os.PathLike) -> Path:
    """Accept a venv folder, its ``bin`` folder or an interpreter; users paste any of them."""
    p = Path(os.path.expanduser(str(path))).absolute()
    if p.is_dir():
        for cand in (p / "bin" / "python", p / "python", p / "Scripts" / "python.exe"):
            if cand.is_file():
                return cand
        raise DganError(f"{p}: no Python interpreter inside; give the project's .venv folder")
    if not p.is_file():
        raise DganError(f"{p}: no such file or folder; give the project's .venv folder")
    return p


def probe(path: str | os.PathLike, timeout: float = 120.0) -> ProjectEnv:
    """Run the environment's interpreter once; any failure becomes one readable line."""
    python = python_from(path)
    env = clean_env()
    try:
        proc = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DganError(f"{python}: could not run it ({exc})") from None
    for line in proc.stdout.splitlines():
        if line.startswith("DGAN_PROBE "):
            data = json.loads(line[len("DGAN_PROBE "):])
            return ProjectEnv(python=str(python), root=data["root"], version=data["version"],
                              commands=data["commands"])
    last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise DganError(f"{python}: cannot import dgan_blender ({last}); install the project there")


def clean_env() -> dict:
    """Environment for child processes of the project's Python: what a Blender launcher
    sets for its own Python and resources (PYTHONHOME, BLENDER_SYSTEM_*) must not reach the
    project's bpy wheel; output unbuffered and uncoloured so logs are readable live."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONHOME", "PYTHONPATH") and not k.startswith("BLENDER_SYSTEM_")}
    env.update(PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb", COLUMNS="120")
    return env


def use_project_source(root: str | os.PathLike) -> None:
    """Make ``import dgan_blender`` resolve to the project at ``root``."""
    root = str(Path(root).absolute())
    if root not in sys.path:
        sys.path.insert(0, root)


def default_python(root: str | os.PathLike) -> Path | None:
    """A checkout's own ``.venv`` (what ``make setup`` creates), when nothing else is said."""
    cand = Path(root) / ".venv" / "bin" / "python"
    return cand if cand.is_file() else None


def resolve_python(explicit: str | None = None) -> Path:
    """Which interpreter runs project-side work: explicit > $DGAN_PYTHON > this checkout's
    .venv > this interpreter when it can import the project's dependencies."""
    for cand in (explicit, os.environ.get("DGAN_PYTHON")):
        if cand:
            return python_from(cand)
    here = default_python(Path(__file__).resolve().parents[2])
    if here is not None:
        return here
    if full_stack_here():
        return Path(sys.executable)
    raise DganError("no project Python environment: set DGAN_PYTHON or the add-on preferences")


def full_stack_here() -> bool:
    """True where this interpreter has the whole library (e.g. the bpy wheel in the venv)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("cv2", "scipy", "typer"))
