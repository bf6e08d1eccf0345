"""Write fitted parameters (params.toml) into a Blender scene."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def apply(
    params: Annotated[Path, typer.Option(help="params.toml written by 'dgan fit'.")],
    scene: Annotated[Path, typer.Option(help="A .blend made by 'dgan scene' (or with DGAN materials).")],
    out: Annotated[Path, typer.Option(help="Where to save the fitted .blend.")],
    engine: Annotated[bool, typer.Option(help="Also switch the scene to the DGAN Mitsuba render engine.")] = True,
) -> None:
    """Materials, signal gain and the detector model become visible, editable values in
    the .blend (material nodes and Scene > Custom Properties); prints what was written."""
    from ..blender.io import open_blend
    from ..blender.render import save_blend
    from ..blender.writeback import apply_look, read_look_values
    from ..dataset.look import load_look
    from ..errors import DganError

    if not params.exists():
        raise DganError(f"{params}: no such file; give the params.toml written by 'dgan fit'")
    look = load_look(params, None)
    bscene = open_blend(scene)
    skipped = apply_look(bscene, look)
    if engine:
        from ..bridge import engine as bridge_engine

        bridge_engine.register()
        bscene.render.engine = bridge_engine.ENGINE_ID
    save_blend(out)
    print(json.dumps({"out": str(out), "applied": read_look_values(bscene), "skipped": skipped}))
