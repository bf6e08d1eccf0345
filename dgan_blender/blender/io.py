"""Opening .blend files with a one-line error instead of Blender's traceback."""

from __future__ import annotations

from pathlib import Path

import bpy

from ..errors import DganError
from ..quiet import silence_stdout


def open_blend(path: Path):
    path = Path(path)
    if not path.exists():
        raise DganError(f"{path}: no such .blend; make one with 'dgan scene --out DIR'")
    try:
        with silence_stdout():
            bpy.ops.wm.open_mainfile(filepath=str(path.resolve()))
    except RuntimeError as exc:
        raise DganError(f"{path}: Blender cannot open it ({str(exc).strip().splitlines()[-1]})") from None
    return bpy.context.scene
