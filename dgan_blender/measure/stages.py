"""The stage list and the runner that makes ``--resume`` safe.

A stage writes into ``RUN/NN-name.tmp``; when its adapter returns, a ``done.json``
marker (its record, seed, key and wall time) is written inside and the folder is renamed
to ``RUN/NN-name`` in one step. So a finished stage is a folder with a marker, and
anything else is unfinished work: a later ``--resume`` skips the former and hands the
latter's ``.tmp`` folder back to its adapter, which continues (fit, render: their own
checkpoints) or starts it over (the others are minutes and deterministic).

Each stage's key chains the keys before it, so a stage whose inputs changed (only the
report's ``--masks`` may; everything else is fixed by RUN/run.json) is redone, and so is
everything after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..io import write_json
from .budget import Budget

MARKER = "done.json"


@dataclass(frozen=True)
class Stage:
    name: str
    index: int
    title: str
    # inputs of this stage beyond the run record (which fixes all the others)
    extra: Callable[["RunContext"], dict] = lambda ctx: {}

    @property
    def folder(self) -> str:
        return f"{self.index:02d}-{self.name}"


def _masks_identity(ctx: "RunContext") -> dict:
    return {"masks": str(ctx.masks) if ctx.masks else None}


STAGES: tuple[Stage, ...] = (
    Stage("prior", 1, "prior (geometry preset)"),
    Stage("fit", 2, "fit (look from real images)"),
    Stage("render", 3, "render (synthetic data set)"),
    Stage("train", 4, "train (U-Net on synthetic)"),
    Stage("segment", 5, "segment (real micrographs)"),
    Stage("report", 6, "report", _masks_identity),
)


def stage_seeds(seed: int) -> dict[str, int]:
    """Every stage's seed, derived from the run seed here and nowhere else (seed 0 valid).
    20 bits: stages build further seeds from theirs (the prior's layouts use seed * 1000 + i)
    and Blender stores a layout's seed as a 32-bit int."""
    return {s.name: int(np.random.SeedSequence([int(seed), s.index]).generate_state(1)[0] & 0xFFFFF)
            for s in STAGES}


@dataclass
class RunContext:
    """What every adapter may read: the run's inputs and the finished stages' folders."""

    run: Path
    real: Path
    preset: str | None
    seed: int
    budget: Budget
    pixel_size_nm: float | None = None
    masks: Path | None = None
    command: str = ""
    workers: int = 0
    record: dict = field(default_factory=dict)

    def dir(self, name: str) -> Path:
        """The folder of a finished stage."""
        return self.run / _by_name(name).folder

    def seed_of(self, name: str) -> int:
        return stage_seeds(self.seed)[name]


def _by_name(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(name)


class NullProgress:
    """The progress protocol adapters talk to (``dataset.run``'s start/advance too)."""

    def start(self, total: int, done: int = 0) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def update(self, completed: float | None = None, total: float | None = None, info: str = "") -> None: ...


def stage_key(stage: Stage, ctx: RunContext, previous: str) -> str:
    body = json.dumps({"stage": stage.name, "seed": ctx.seed_of(stage.name), "run": ctx.record,
                       "extra": stage.extra(ctx), "previous": previous}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def run_stages(ctx: RunContext, adapters: dict, display=None) -> dict[str, dict]:
    """Runs what is not finished, in order; returns every stage's marker. ``adapters``
    maps a stage name to ``fn(ctx, out, resumed, progress) -> dict`` and is read at call
    time (tests replace one entry to simulate a kill)."""
    markers: dict[str, dict] = {}
    previous = ""
    for stage in STAGES:
        key = stage_key(stage, ctx, previous)
        previous = key
        final = ctx.run / stage.folder
        tmp = ctx.run / f"{stage.folder}.tmp"
        progress = display.stage(stage) if display else NullProgress()
        marker = read_marker(final) if final.is_dir() else None
        if marker is not None and marker.get("key") == key:
            if tmp.exists():  # an attempt left over from a redo that was itself killed
                _remove(tmp)
            markers[stage.name] = marker
            if display:
                display.kept(stage)
            continue
        if final.exists():  # made from other inputs (or without a marker): redo it
            _remove(final)
        resumed = tmp.is_dir()
        tmp.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        record = adapters[stage.name](ctx, tmp, resumed, progress)
        marker = {"stage": stage.name, "key": key, "seed": ctx.seed_of(stage.name),
                  "seconds": round(time.monotonic() - t0, 1), "resumed": resumed, "record": record or {}}
        write_json(tmp / MARKER, marker)
        os.replace(tmp, final)
        markers[stage.name] = marker
        if display:
            display.finished(stage, marker)
    return markers


def _remove(folder: Path) -> None:
    """Out of the way in one rename first, so a kill mid-delete leaves no stage-like folder."""
    trash = folder.with_name(f".{folder.name}.stale")
    if trash.exists():
        shutil.rmtree(trash)
    os.replace(folder, trash)
    shutil.rmtree(trash)


def fresh(folder: Path) -> Path:
    """Empties a stage's .tmp folder for an adapter that starts over on resume."""
    for child in Path(folder).iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    return Path(folder)
