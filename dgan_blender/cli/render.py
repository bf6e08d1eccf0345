"""Render an annotated data set with the fitted look, on one machine or a Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import flag_overrides, list_presets, load_config


class _Bar:
    """rich progress over samples (the driver's view of all workers)."""

    def __init__(self):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.progress = Progress(TextColumn("render"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
        self.task = None

    def start(self, total: int, done: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("render", total=total, completed=done)

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def stop(self) -> None:
        self.progress.stop()


def render(
    preset: Annotated[str, typer.Option(help=f"Preset ({', '.join(list_presets())}) or TOML file.")] = "tio2-sem",
    count: Annotated[int, typer.Option(min=1, help="Number of samples (indices 0..count-1).")] = 16,
    out: Annotated[Path, typer.Option(help="Data set folder (created; reruns resume).")] = Path("data"),
    seed: Annotated[int, typer.Option(help="Run seed: sample i uses a layout seeded by (seed, i).")] = 0,
    params: Annotated[Optional[Path], typer.Option(help="params.toml from 'dgan fit' (default: the preset's shipped fitted values).")] = None,
    engine: Annotated[str, typer.Option(help="mitsuba (the bridge; same as the fit) or cycles (Blender).")] = "mitsuba",
    workers: Annotated[Optional[int], typer.Option(min=0, help="Local Dask worker processes, one thread each (0: in this process; default: cores, at most 4).")] = None,
    scheduler: Annotated[Optional[str], typer.Option(help="Address of an existing Dask scheduler, e.g. tcp://host:8786.")] = None,
    shard: Annotated[Optional[str], typer.Option(help="I/N: render only indices i with i % N == I (job arrays).")] = None,
    spp: Annotated[Optional[int], typer.Option(min=1, help="Samples per pixel.")] = None,
    size: Annotated[Optional[int], typer.Option(min=1, help="Image width and height in px.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field KEY=VALUE (repeatable).")] = None,
    unfitted: Annotated[bool, typer.Option("--unfitted", help="Ignore fitted values: the preset's own materials, no detector model.")] = False,
    restart: Annotated[bool, typer.Option("--restart", help="Delete this data set's samples and files in --out (nothing else) and start over; needed to change its settings.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Before resuming, read every existing sample and render again those whose checksums differ.")] = False,
) -> None:
    """Writes DATA/images, instances (uint16), semantic (0/1/2), particles JSON per sample,
    DATA/annotations.json (COCO, RLE), DATA/manifest.jsonl and DATA/run.json (the settings:
    a rerun continues only the same settings); prints a JSON summary."""
    from ..errors import DganError
    from ..dataset.run import RenderJob, SamplesFailed, parse_shard, run

    if engine not in ("mitsuba", "cycles"):
        raise DganError(f"--engine {engine!r}: choose mitsuba or cycles")
    cfg = load_config(preset, set_ or [], extra=flag_overrides(size, spp))
    if params is not None:  # refused here, once, not on every worker
        from ..appearance.look import load_look

        load_look(params, cfg)
    if workers is None:
        import os

        workers = max(1, min(os.cpu_count() or 1, 4))
    job = RenderJob(cfg=cfg, count=count, out=out, seed=seed, engine=engine, workers=workers,
                    scheduler=scheduler, shard=parse_shard(shard), params=params,
                    fitted=not unfitted, restart=restart, verify=verify)
    bar = _Bar()
    try:
        summary = run(job, progress=bar)
    except SamplesFailed as exc:  # the rest was written: say so, then the one-line error
        bar.stop()
        print(json.dumps(exc.summary))
        raise
    finally:
        bar.stop()
    print(json.dumps(summary))
