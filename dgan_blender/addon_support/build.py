"""Build the extension zip with Blender's own builder, as ``blender --command extension
build`` would: the bpy wheel ships that builder (``bl_pkg/cli/blender_ext.py``, a
standalone script), so CI can build and validate the zip without a Blender executable."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

from ..errors import DganError

ADDON_DIR = Path(__file__).resolve().parents[2] / "addon"


def find_builder() -> Path:
    spec = importlib.util.find_spec("bpy")  # locate only: importing bpy costs a second
    if spec is None or not spec.submodule_search_locations:
        raise DganError("the bpy module is not installed; run 'make setup'")
    for base in spec.submodule_search_locations:
        found = sorted(Path(base).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    raise DganError("Blender's extension builder (bl_pkg/cli/blender_ext.py) is not in the bpy wheel")


def build_extension(out: Path, source: Path = ADDON_DIR) -> Path:
    """The zip's path; the builder's own message becomes the error when it refuses."""
    manifest = tomllib.loads((source / "blender_manifest.toml").read_text())
    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{manifest['id']}-{manifest['version']}.zip"
    proc = subprocess.run(
        [sys.executable, str(find_builder()), "build", "--source-dir", str(source),
         "--output-filepath", str(target)],
        capture_output=True, text=True)
    if proc.returncode != 0 or not target.is_file():
        lines = (proc.stdout + proc.stderr).strip().splitlines() or ["no output"]
        raise DganError(f"extension build failed: {lines[-1]}")
    return target
