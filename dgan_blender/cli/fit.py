"""Fit rendering and detector parameters to unannotated real micrographs (DiffRenderGAN)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import list_presets, load_config
from .micrograph_options import BarRows, OldCropBottom, PixelSizeNm, either


def fit(
    real: Annotated[str, typer.Option(help="Folder or glob of real micrographs (TIFF/PNG/JPEG).")],
    out: Annotated[Path, typer.Option(help="Run folder: params.toml, metrics.jsonl, progress.png, samples.png.")],
    preset: Annotated[str, typer.Option(help=f"Preset ({', '.join(list_presets())}) or TOML file.")] = "tio2-sem",
    iters: Annotated[int, typer.Option(min=1, help="Training iterations.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of layouts, noise, batches and initial weights.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out (after a kill, or with more --iters); its other settings must match.")] = False,
    batch: Annotated[int, typer.Option(min=1, help="Synthetic and real images per iteration.")] = 4,
    patch: Annotated[int, typer.Option(min=32, help="Training patch size (px).")] = 256,
    spp: Annotated[int, typer.Option(min=1, help="Samples per pixel of the differentiable render.")] = 8,
    pool: Annotated[int, typer.Option(min=1, help="Layouts built once in Blender and reused.")] = 16,
    eval_every: Annotated[int, typer.Option(min=1, help="Realism evaluation every N iterations.")] = 50,
    eval_images: Annotated[int, typer.Option(min=1, help="Synthetic and held-out real patches per evaluation.")] = 12,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N iterations.")] = 25,
    holdout: Annotated[float, typer.Option(min=0.0, max=0.9, help="Fraction of real images kept out of training for the realism figure.")] = 0.2,
    eval_real: Annotated[Optional[str], typer.Option(help="Separate held-out real images for the realism figure.")] = None,
    pixel_size_nm: PixelSizeNm = None,
    bar_rows: BarRows = None,
    crop_bottom: OldCropBottom = None,
    fix: Annotated[Optional[list[str]], typer.Option(help="Keep this parameter at its preset value (repeatable).")] = None,
    lr_g: Annotated[float, typer.Option(help="Adam learning rate of the parameter model (paper: 2e-4 for a network; see FitOptions).")] = 3e-3,
    lr_d: Annotated[float, typer.Option(help="Adam learning rate of the discriminator (paper: 1e-4).")] = 1e-4,
    loss: Annotated[str, typer.Option(help="lsgan or hinge.")] = "lsgan",
    d_warmup: Annotated[int, typer.Option(min=0, help="First iterations train the discriminator only.")] = 0,
    lr_decay: Annotated[str, typer.Option(help="cosine: G's learning rate falls to 5 % over --iters; none: constant.")] = "cosine",
    ema: Annotated[float, typer.Option(min=0.0, max=0.9999, help="Decay of the weight average reported and saved (0: the last weights).")] = 0.98,
    select_best: Annotated[bool, typer.Option(help="Write the evaluation nearest the training images instead of the last averaged parameters.")] = False,
    select_tolerance: Annotated[float, typer.Option(min=0.0, help="With --select-best: the latest evaluation within this share of the nearest (0.05: 5 %), not the nearest itself.")] = 0.0,
    stop_patience: Annotated[int, typer.Option(min=0, help="With --select-best: stop once the selected evaluation is this many evaluations old (0: run all --iters).")] = 0,
    match_coverage: Annotated[bool, typer.Option(help="Draw the layouts' coverage from the real patches' Otsu foreground instead of the preset's coverage range.")] = False,
    max_minutes: Annotated[float, typer.Option(min=0.0, help="Stop after this many minutes (0: no limit).")] = 0.0,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field KEY=VALUE (repeatable).")] = None,
) -> None:
    """Learns material, signal-gain and detector-noise parameters so rendered images look
    like the real ones; writes RUN/params.toml for `dgan render --params`."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from ..appearance.params import param_specs
    from ..errors import DganError
    from ..fit.api import claim_run, fit_record, prepare, run_fit
    from ..fit.trainer import FitOptions
    from ..quiet import silence_stdout

    if loss not in ("lsgan", "hinge"):
        raise DganError(f"--loss {loss!r}: choose lsgan or hinge")
    cfg = load_config(preset, set_ or [])
    known = param_specs(cfg)
    for name in fix or []:
        if name not in known:
            raise DganError(f"--fix {name}: unknown parameter (known: {', '.join(known)})")
    opts = FitOptions(iters=iters, seed=seed, batch=batch, patch=patch, eval_every=eval_every,
                      eval_images=eval_images, checkpoint_every=checkpoint_every, lr_g=lr_g, lr_d=lr_d,
                      loss=loss, d_warmup=d_warmup, ema=ema, lr_decay=lr_decay, select_best=select_best,
                      select_tolerance=select_tolerance, stop_patience=stop_patience, max_minutes=max_minutes)
    train, held = prepare(cfg, real, opts, holdout, eval_real, pixel_size_nm, either(bar_rows, crop_bottom))
    claim_run(out, fit_record(cfg, opts, pool, spp, tuple(fix or ()), match_coverage), resume)  # before any output
    # stdout is silenced while Blender/Mitsuba run; the bar goes to stderr
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                   console=Console(file=sys.stderr))
    with bar:
        layouts = bar.add_task("layouts", total=pool, info="")
        task = bar.add_task("fit", total=iters, info="")
        state = {"realism": math.nan}

        def on_step(e):
            state["realism"] = e.get("realism", state["realism"])
            losses = f"D {e['loss_d']:.3f} G {e['loss_g']:.3f} " if "loss_d" in e else ""
            bar.update(task, completed=e["iteration"], info=f"{losses}realism {state['realism']:.1f}")

        with silence_stdout():
            end = run_fit(cfg, train, held, out, opts, resume=resume, pool_size=pool, spp=spp,
                          fixed=tuple(fix or ()), progress=lambda i, n: bar.update(layouts, completed=i),
                          on_step=on_step, match_coverage=match_coverage, claimed=True)
    print(json.dumps(end))
