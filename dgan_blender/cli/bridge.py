"""The Mitsuba bridge: compare it with Cycles on one layout and measure its speed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import flag_overrides, list_presets, load_config

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("check")
def check(
    preset: Annotated[str, typer.Option(help=f"Preset ({', '.join(list_presets())}) or TOML file.")] = "tio2-sem",
    seed: Annotated[int, typer.Option(help="Layout seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the images and the side-by-side PNG.")] = Path("bridge-check"),
    spp: Annotated[int, typer.Option(min=1, help="Samples per pixel for both renderers.")] = 16,
    size: Annotated[Optional[int], typer.Option(min=8, help="Image width and height in px.")] = 256,
) -> None:
    """Renders one layout with Cycles and with the bridge (noise off); prints one JSON line:
    mask_iou, cycles_mitsuba_mae/ssim (SEM model), principled_mae/ssim, grad_rel_err_max,
    fwd_s, fwdbwd_s, bare_fwdbwd_s."""
    cfg = load_config(preset, extra=flag_overrides(size, spp))
    from ..bridge.check import run_check
    from ..quiet import silence_stdout

    with silence_stdout():
        result = run_check(cfg, seed, out, spp)
    print(json.dumps(result))
