"""Find the dgan-blender library from inside Blender (the one bootstrap step).

The add-on ships no copy of the library: it imports the project's own source, so the
panel, the CLI and the presets are one code base. Blender's Python may be a different
version from the project's, so only the source folder is put on ``sys.path``; where the
library is not importable yet, the project's interpreter is asked where it lives.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_ASK = "import dgan_blender, os; print(os.path.dirname(os.path.dirname(os.path.abspath(dgan_blender.__file__))))"


def _importable() -> bool:
    try:
        importlib.import_module("dgan_blender.addon_support.env")
        return True
    except ImportError:
        return False


def _use(root: str) -> bool:
    if root and (Path(root) / "dgan_blender" / "__init__.py").is_file():
        if root not in sys.path:
            sys.path.insert(0, root)
        importlib.invalidate_caches()
        return _importable()
    return False


def root_from_python(python: str) -> str:
    """Ask the project's interpreter (a venv folder or an executable) where its source is."""
    p = Path(os.path.expanduser(python))
    if p.is_dir():
        p = next((c for c in (p / "bin" / "python", p / "python") if c.is_file()), p)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    proc = subprocess.run([str(p), "-c", _ASK], capture_output=True, text=True, timeout=120, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["cannot run it"])[-1]
        raise RuntimeError(f"{p}: {last}")
    return proc.stdout.strip().splitlines()[-1]


def connect(python: str = "", root_hint: str = "") -> bool:
    """Make ``dgan_blender`` importable; True when it is. Cheap when already connected."""
    if _importable():
        return True
    for root in (root_hint, os.environ.get("DGAN_PROJECT", ""), str(HERE.parent)):
        if _use(root):
            return True
    python = python or os.environ.get("DGAN_PYTHON", "")
    if python:
        try:
            return _use(root_from_python(python))
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            return False
    return False
