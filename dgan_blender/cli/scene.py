"""Build one procedural scene in Blender, render it and write exact annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import flag_overrides, list_presets, load_config


def scene(
    preset: Annotated[str, typer.Option(help=f"Preset name ({', '.join(list_presets())}) or a TOML file.")] = "tio2-sem",
    seed: Annotated[int, typer.Option(help="Seed of the layout and the render (0 is valid).")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder (created).")] = Path("scene"),
    size: Annotated[Optional[int], typer.Option(help="Image width and height in px (overrides the preset).")] = None,
    spp: Annotated[Optional[int], typer.Option(help="Samples per pixel of the plain render.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="A TOML file merged over the preset.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a field: KEY=VALUE, e.g. particles.count=20 (repeatable).")] = None,
) -> None:
    """Writes scene.blend, render.png, instances.png (uint16), semantic.png (0/1/2),
    particles.json and preview.png into OUT, and prints one JSON summary line."""
    cfg = load_config(preset, set_ or [], user_file=config, extra=flag_overrides(size, spp))
    from ..scenes import make_scene

    result = make_scene(cfg, seed, out)
    print(json.dumps({"out": str(result.out), "preset": cfg.name, "seed": seed,
                      "particles": result.n_particles,
                      **{k: round(v, 3) for k, v in result.seconds.items()}}))
