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
    from ..appearance.look import load_look

    look = load_look(params, None)  # checked against the preset it was fitted for, before Blender starts
    bscene = open_blend(scene)
    made_as = _scene_config(bscene)
    if made_as is not None:  # a scene made by 'dgan scene': its own preset decides
        look = load_look(params, made_as)
    skipped = apply_look(bscene, look)
    if engine:
        from ..bridge import engine as bridge_engine

        bridge_engine.register()
        bscene.render.engine = bridge_engine.ENGINE_ID
    save_blend(out)
    print(json.dumps({"out": str(out), "applied": read_look_values(bscene), "skipped": skipped}))


def _scene_config(bscene):
    """The config a 'dgan scene' .blend was built from (None for other scenes)."""
    from ..config import from_dict
    from ..errors import DganError

    try:
        return from_dict(json.loads(bscene["dgan_config"]))
    except (KeyError, TypeError, ValueError, DganError):
        return None
