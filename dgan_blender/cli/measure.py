"""From a folder of micrographs to a particle size distribution: prior, fit, render,
train, segment and report as resumable stages under one run folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import list_presets
from .micrograph_options import OldPixelSize, PixelSizeNm, either


def measure(
    real: Annotated[Path, typer.Option(help="Folder of micrographs (TIFF with SEM metadata, or PNG with --pixel-size-nm), or its images/ subfolder.")],
    out: Annotated[Path, typer.Option(help="Run folder: one subfolder per stage, report.html, summary.json, particles.csv.")],
    preset: Annotated[Optional[str], typer.Option(help=f"Geometry preset ({', '.join(list_presets())}) or TOML file; default: 'dgan prior' on the images.")] = None,
    budget_minutes: Annotated[float, typer.Option(min=1, help="Wall-clock budget the stage sizes are set for (60: 30 micrographs on a 2-core CPU).")] = 60.0,
    resume: Annotated[bool, typer.Option(help="Continue a killed run: finished stages are kept.")] = False,
    seed: Annotated[int, typer.Option(help="Run seed; every stage's seed derives from it (saved in the outputs).")] = 0,
    masks: Annotated[Optional[Path], typer.Option(help="Manual masks (NAME_m.tif or NAME.png) to score the run: DSC, AP50, PQ, size errors. Never used by a stage.")] = None,
    fit_tries: Annotated[Optional[int], typer.Option(min=1, help="Fits of the look with other training seeds; the one nearest the held-out real images is kept (default 2; 1 saves one fit's time).")] = None,
    pixel_size_nm: PixelSizeNm = None,
    pixel_size: OldPixelSize = None,
) -> None:
    """Writes RUN/report.html (size distribution with bootstrap intervals, shapes, overlays,
    provenance), RUN/summary.json and RUN/particles.csv; prints a JSON line of the headline."""
    from ..measure.api import execute, plan
    from ..measure.budget import budget_for
    from ..measure.display import StageDisplay
    from ..quiet import silence_stdout

    budget = budget_for(budget_minutes, **({} if fit_tries is None else {"fit_tries": fit_tries}))
    ctx = plan(real, out, preset=preset, budget=budget, seed=seed, resume=resume,
               masks=masks, pixel_size_nm=either(pixel_size_nm, pixel_size))
    with StageDisplay() as display, silence_stdout():
        summary = execute(ctx, display)
    head = {"report": str(out / "report.html"), "n_particles": summary["n_particles_inner"],
            "median_nm": summary["size_nm"]["median_nm"]["value"],
            "median_ci95_nm": summary["size_nm"]["median_nm"]["ci95"]}
    if "scores" in summary:
        head["scores"] = {k: summary["scores"][k] for k in ("dsc", "ap50", "pq")} | {
            k: summary["scores"]["sizes"].get(k) for k in ("median_error_pct", "wasserstein_nm", "ks")}
    print(json.dumps(head))
