"""``dgan train``: the segmentation network trained on synthetic data sets alone, as a
job that survives a kill and leaves either a complete model or none.

The loop is :func:`.train.train`, the one ``dgan eval`` uses. After every epoch the whole
training state (weights, optimiser moments, the patch generator's state, the curve) is
written atomically to ``MODEL_DIR/.train-state.pt``; a rerun of the same settings
continues from it and ends with the weights an uninterrupted run of that seed gives.
``model.pt`` is written once, at the end, by rename.

A time limit is turned into a number of epochs before training starts, from the
measured time of a few steps of a throwaway network: the learning-rate schedule then
spans exactly the epochs that will run, and ``--epochs N`` with the recorded
``epochs_planned`` reproduces the same weights. The limit covers the timing and the
epochs (validation is not counted); should the epochs turn out slower than measured,
training stops after the epoch that crosses it (``epochs_run`` < ``epochs_planned``).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .. import provenance
from ..errors import DganError
from ..io import write_json
from .data import load_annotated
from .train import (TrainSettings, TrainState, cpu_threads, draw_patches, load_model, new_state, prepare,
                    save_model, steps_per_epoch, train, train_step)
from .training_sets import combined_digest, load_training_sets

STATE = ".train-state.pt"
DEFAULT_EPOCHS = 10
MAX_EPOCHS = 10_000  # the cap when only a time limit is given


def save_state(path: Path, state: TrainState, extra: dict) -> None:
    """The training state, atomically (a kill mid-write leaves the previous one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save({"model": {k: v.detach().cpu() for k, v in state.model.state_dict().items()},
                "opt": state.opt.state_dict(), "rng": json.dumps(state.rng.bit_generator.state),
                "step": state.step, "epoch": state.epoch, "history": state.history,
                "elapsed_s": state.elapsed_s, "extra": extra}, tmp)
    os.replace(tmp, path)


def load_state(path: Path, settings: TrainSettings) -> tuple[TrainState, dict]:
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    state = new_state(settings)
    state.model.load_state_dict(ckpt["model"])
    state.opt.load_state_dict(ckpt["opt"])
    state.rng.bit_generator.state = json.loads(ckpt["rng"])
    state.step, state.epoch = int(ckpt["step"]), int(ckpt["epoch"])
    state.history, state.elapsed_s = list(ckpt["history"]), float(ckpt["elapsed_s"])
    return state, dict(ckpt["extra"])


def seconds_per_step(data, settings: TrainSettings, steps: int = 3) -> float:
    """Median time of a training step (patch draw included), measured on a throwaway
    network and patch generator so that the real run's weights and draws are untouched.
    The first step (allocations, thread start-up) is not counted."""
    probe = new_state(replace(settings, seed=settings.seed + 1))
    dev = next(probe.model.parameters()).device
    times = []
    for _ in range(steps + 1):
        t0 = time.monotonic()
        x, y = draw_patches(data, settings.batch, settings.patch, probe.rng, settings.augment)
        train_step(probe.model, probe.opt, x.to(dev), y.to(dev), settings, settings.lr)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.monotonic() - t0)
    return float(np.median(times[1:]))


def plan_epochs(samples, settings: TrainSettings, pixel_size_nm: float, limit_s: float, cap: int,
                log=print) -> tuple[int, float]:
    """How many epochs fit in what is left of ``limit_s`` after the timing itself (at
    least one, at most ``cap``), and the seconds the timing took."""
    t0 = time.monotonic()
    data = prepare(samples, pixel_size_nm, settings.contact_px)
    with cpu_threads(settings.threads):
        per_step = seconds_per_step(data, settings)
    timing_s = time.monotonic() - t0
    epoch_s = per_step * steps_per_epoch(data, settings)
    planned = max(1, min(cap, math.floor((limit_s - timing_s) / epoch_s)))
    log(f"time limit {limit_s:.0f} s: {per_step:.2f} s per step, {epoch_s:.0f} s per epoch -> {planned} epochs")
    return planned, timing_s


def _finished(model_path: Path, log) -> dict:
    _, meta = load_model(model_path)
    log(f"{model_path}: already trained with these settings ({meta.get('epochs_run')} epochs); kept")
    return summary(model_path, meta)


def summary(model_path: Path, meta: dict) -> dict:
    """What a caller reports: where the model is and how it was made."""
    keys = ("pixel_size_nm", "preset", "data_digest", "seed", "epochs_planned", "epochs_run",
            "train_seconds", "wall_seconds", "final_loss", "val")
    return {"model": str(model_path), **{k: meta.get(k) for k in keys}}


def train_model(data_dirs: list[Path], out: Path, *, epochs: int | None = None,
                time_limit_min: float | None = None, seed: int = 0, val: Path | None = None,
                progress=None, log=print, settings: TrainSettings | None = None,
                val_every: int = 1, val_pixel_size_nm: float | None = None,
                restart: bool = False, init: Path | None = None) -> dict:
    """Trains on the ``dgan render`` folders ``data_dirs`` and writes ``out/model.pt``,
    ``out/curve.json`` and ``out/run.json``; returns :func:`summary`.

    ``epochs`` (default 10 without a time limit) is the number of epochs, or the most
    a time limit may plan. ``val`` (annotated real images, the layout of ``dgan eval
    --test``) is scored after every ``val_every``-th epoch and the last; it never selects
    or stops anything. ``progress(epoch, epochs_planned, entry)`` is called after each
    epoch with its curve entry. ``settings`` gives the remaining training settings
    (patch, batch, lr, ...). A rerun into the same ``out`` with the same settings
    continues a killed run, or returns at once when the model is complete; other
    settings are refused unless ``restart``. ``init``: a model.pt whose weights the
    training starts from (fine-tuning; its file digest joins the record)."""
    out = Path(out)
    t_call = time.monotonic()
    if epochs is None and time_limit_min is None:
        epochs = DEFAULT_EPOCHS
    if epochs is not None and epochs < 1:
        raise DganError(f"--epochs {epochs}: give at least 1")
    if time_limit_min is not None and not time_limit_min > 0:
        raise DganError(f"--time-limit {time_limit_min}: give a positive number of minutes")
    settings = replace(settings or TrainSettings(), seed=seed, time_limit_s=None, stop_after_s=None,
                       epochs=MAX_EPOCHS if epochs is None else epochs)
    if init is not None and not Path(init).is_file():
        raise DganError(f"{init}: no such model to start from; give a model.pt written by 'dgan train'")
    sets = load_training_sets(data_dirs)
    samples = [s for t in sets for s in t.samples]
    px = sets[0].pixel_size_nm
    val_set = load_annotated(val, pixel_size_nm=val_pixel_size_nm) if val is not None else None
    record = provenance.describe(
        job="dgan train", data=[t.digest for t in sets], seed=seed, epochs=epochs,
        time_limit_min=time_limit_min, patch=settings.patch, batch=settings.batch, lr=settings.lr,
        dice=settings.dice, augment=settings.augment, base=settings.base, threads=settings.threads,
        channels_last=settings.channels_last,
        **({"contact_px": settings.contact_px} if settings.contact_px != 1 else {}),  # older records stay valid
        val=str(val) if val is not None else None, val_every=val_every,
        init=provenance.file_digest(Path(init)) if init is not None else None)
    if restart and out.exists():
        for name in ("model.pt", "curve.json", provenance.RECORD, STATE):
            (out / name).unlink(missing_ok=True)
    model_path, state_path = out / "model.pt", out / STATE
    if provenance.claim(out, record, "model folder", "--restart") and model_path.exists():
        return _finished(model_path, log)
    log(f"train: {len(samples)} images from {len(sets)} data set(s) at {px:g} nm/px, seed {seed}")

    if state_path.exists():
        state, extra = load_state(state_path, settings)
        log(f"resuming after epoch {state.epoch} of {extra['epochs_planned']}")
    else:
        planned, timing_s = settings.epochs, 0.0
        if time_limit_min is not None:
            planned, timing_s = plan_epochs(samples, settings, px, time_limit_min * 60, settings.epochs, log)
        state, extra = new_state(settings), {"epochs_planned": planned, "timing_s": timing_s, "wall_s": 0.0}
        if init is not None:
            start, start_meta = load_model(Path(init))
            if int(start_meta.get("base", 16)) != settings.base:
                raise DganError(f"{init}: a U-Net of width {start_meta.get('base')}, this training's is {settings.base}")
            state.model.load_state_dict(start.state_dict())
            state.model.train()
    wall_before = float(extra.get("wall_s", 0.0))
    # the limit covers the timing and the epochs (not validation)
    settings = replace(settings, epochs=extra["epochs_planned"],
                       stop_after_s=None if time_limit_min is None else time_limit_min * 60 - extra["timing_s"])

    def on_epoch(st: TrainState) -> None:
        entry = st.history[-1] if st.history else {"epoch": st.epoch}
        if val_set is not None and (st.epoch % max(1, val_every) == 0 or st.epoch == settings.epochs):
            entry["val"] = _val_scores(st, val_set, px)
            log(f"  val: {json.dumps(entry['val'])}")
        save_state(state_path, st, extra | {"wall_s": wall_before + time.monotonic() - t_call})
        if progress is not None:
            progress(st.epoch, settings.epochs, entry)

    model, history = train(samples, settings, px, log=log, state=state, on_epoch=on_epoch)
    if val_set is not None and history and "val" not in history[-1]:
        with cpu_threads(settings.threads):  # stopped before the planned end
            history[-1]["val"] = _val_scores_model(model, val_set, px)
    wall = wall_before + time.monotonic() - t_call
    meta = {
        "trained_by": "dgan train",
        "pixel_size_nm": px, "preset": _one([t.preset for t in sets]), "look": _one([t.look for t in sets]),
        "data": [t.describe() for t in sets], "data_digest": combined_digest(sets), "seed": seed,
        "epochs": epochs, "time_limit_min": time_limit_min, "epochs_planned": settings.epochs,
        "epochs_run": len([h for h in history if "loss" in h]), "steps": history[-1].get("steps") if history else 0,
        "patch": settings.patch, "batch": settings.batch, "lr": settings.lr, "dice": settings.dice,
        "augment": settings.augment, "contact_px": settings.contact_px, "base": settings.base,
        "n_train_images": len(samples),
        "init": str(init) if init is not None else None,
        "threads": settings.threads or torch.get_num_threads(), "channels_last": settings.channels_last,
        "classes": ["background", "particle", "boundary"], "history": history,
        "final_loss": next((h["loss"] for h in reversed(history) if "loss" in h), None),
        "val": history[-1].get("val") if history else None, "val_path": str(val) if val else None,
        "train_seconds": round(state.elapsed_s, 3), "timing_seconds": round(extra["timing_s"], 1),
        "wall_seconds": round(wall, 3),
        "versions": _versions(), "device": str(next(model.parameters()).device),
    }
    write_json(out / "curve.json", {"history": history, "epochs_planned": settings.epochs,
                                    "epochs_run": meta["epochs_run"]})
    save_model(model_path, model, meta)
    state_path.unlink(missing_ok=True)
    log(f"wrote {model_path} ({meta['epochs_run']} epochs, {meta['train_seconds']:.0f} s training)")
    return summary(model_path, meta)


def _val_scores(state: TrainState, val_set, px: float) -> dict:
    """Scored in eval mode (BatchNorm running statistics used, never updated), then back."""
    state.model.eval()
    try:
        return _val_scores_model(state.model, val_set, px)
    finally:
        state.model.train()


def _val_scores_model(model, val_set, px: float) -> dict:
    from .run import HEADLINE, score

    metrics, _ = score(model, val_set, px)
    sizes = metrics["sizes"]
    return {**{k: round(float(metrics[k]), 4) for k in HEADLINE},
            "median_error_pct": sizes.get("median_error_pct"), "wasserstein_nm": sizes.get("wasserstein_nm"),
            "ks": sizes.get("ks"), "n_images": len(val_set)}


def _one(values):
    """The common value of all sets, else the list of them."""
    return values[0] if all(v == values[0] for v in values) else values


def _versions() -> dict:
    from .run import versions

    return versions()


__all__ = ["train_model", "summary", "plan_epochs", "save_state", "load_state", "STATE"]
