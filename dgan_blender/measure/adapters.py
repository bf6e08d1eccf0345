"""Each stage as a call of the library that owns it, in a few lines.

An adapter is ``fn(ctx, out, resumed, progress) -> record``: it writes into ``out`` (the
stage's ``.tmp`` folder), reads earlier stages through ``ctx.dir(name)`` and returns a
small JSON record for the stage's marker. ``resumed`` is True when ``out`` holds the
work of a killed attempt.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..config import read_toml
from ..errors import DganError
from ..io import write_json
from .stages import RunContext, fresh

PRESET_FILE = "preset.toml"
REFINED_FILE = "refined-preset.toml"
SIZE_CHECK_FILE = "size_check.json"  # segment stage: the held-out size error, per image
CROWDED_DIR = "crowded"  # the crowded share of a synthetic set, a data set of its own inside it
# The fit writes the latest evaluation within 5 % of the lowest distance to the training
# images (about the scatter of successive evaluations of a settled fit: 205-231 over the
# last 550 iterations of the BAM SEM seed-0 run): the end of a levelled-off fit, the point
# before a drift. The TSEM run of seed 0 went 155 -> 227 after iteration 300 and the last
# point's look was written.
FIT_SELECT_TOLERANCE = 0.05
# ... and stops once that point is 8 evaluations (400 iterations) old (``FitOptions.stop_patience``)
FIT_STOP_PATIENCE = 8


def prior_available() -> bool:
    """True once 'dgan prior' (``dgan_blender.prior.api.infer_prior``) is installed."""
    try:
        from ..prior.api import infer_prior  # noqa: F401
    except ImportError:
        return False
    return True


def _prior(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    """The given preset, copied; without one, the geometry prior read off the images."""
    from ..config import load_config, preset_path

    fresh(out)
    if ctx.preset:
        src = preset_path(ctx.preset)
        shutil.copyfile(src, out / PRESET_FILE)
        source = f"given with --preset {ctx.preset}"
    else:
        if not prior_available():
            raise DganError("no --preset given and 'dgan prior' is not installed; pass --preset tio2-sem or a TOML file")
        from ..prior.api import infer_prior  # the signature of the h5-prior branch at 23:20 UTC

        infer_prior(ctx.real, out / PRESET_FILE, pixel_size_nm=ctx.pixel_size_nm, seed=ctx.seed_of("prior"),
                    log=lambda msg: progress.update(info=msg[:40]))
        source = "dgan prior (inferred from the real images)"
    cfg = load_config(str(out / PRESET_FILE))
    progress.update(completed=1, total=1)
    return {"source": source, "name": cfg.name, "pixel_size_nm": cfg.image.pixel_size_nm}


def _config(ctx: RunContext):
    """The run's scene config: the prior stage's preset at the budget's image size."""
    from ..config import load_config

    b, extra = ctx.budget, {}
    if b.image_px:
        extra["image"] = {"width_px": b.image_px, "height_px": b.image_px}
    if b.render_spp:
        extra["render"] = {"spp": b.render_spp}
    return load_config(str(ctx.dir("prior") / PRESET_FILE), extra=extra)


def _fit(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    """``budget.fit_tries`` fits with other training seeds on the same split, layouts and
    evaluation; the look nearest the held-out real images is written (``fit/tries.py``)."""
    from ..fit.api import prepare
    from ..fit.trainer import FitOptions
    from ..fit.tries import run_fit_tries

    b, cfg = ctx.budget, _config(ctx)
    opts = FitOptions(iters=b.fit_iters, seed=ctx.seed_of("fit"), patch=b.fit_patch,
                      eval_every=min(50, b.fit_iters), checkpoint_every=min(25, max(1, b.fit_iters // 2)),
                      select_best=True, select_tolerance=FIT_SELECT_TOLERANCE, stop_patience=FIT_STOP_PATIENCE)
    opts.meta["command"] = ctx.command
    train, held = prepare(cfg, ctx.real, opts, pixel_size_nm=ctx.pixel_size_nm)
    total = b.fit_iters * b.fit_tries
    progress.update(completed=0, total=total)

    def step(k: int, e: dict) -> None:
        info = f"try {k + 1}/{b.fit_tries}" + (f" realism {e['realism']:.1f}" if "realism" in e else "")
        progress.update(completed=k * b.fit_iters + e["iteration"], info=info)

    end = run_fit_tries(cfg, train, held, out, opts, b.fit_tries, resume=resumed, pool_size=b.fit_pool,
                        spp=b.fit_spp, on_step=step)
    return {"iters": b.fit_iters, "tries": b.fit_tries, "end": end}


def synthetic_set(ctx: RunContext, count: int, out: Path, seed: int, progress=None) -> dict:
    """``count`` images of the run's geometry and fitted look into ``out``, the crowded
    share of them (``measure/crowded.py``) into ``out/crowded``; every image rendered,
    or a one-line error. Returns {"count", "crowded", "seconds"}."""
    from ..dataset.run import RenderJob, run
    from ..seeds import CROWDED_SET, step_seed
    from .crowded import crowded

    cfg, params = _config(ctx), ctx.dir("fit") / "params.toml"
    n_crowded = round(count * ctx.budget.crowded_share)
    jobs = [RenderJob(cfg=cfg, count=count - n_crowded, out=out, seed=seed, workers=ctx.workers, params=params)]
    if n_crowded:
        jobs.append(RenderJob(cfg=crowded(cfg), count=n_crowded, out=out / CROWDED_DIR,
                              seed=step_seed(seed, 0, CROWDED_SET), workers=ctx.workers, params=params))
    seconds = 0.0
    for job in jobs:
        if not job.count:
            continue
        summary = run(job, progress=progress)
        if summary["complete"] != job.count:
            raise DganError(f"{job.out}: {summary['complete']} of {job.count} synthetic images rendered; "
                            "run again with --resume")
        seconds += summary["seconds"]
    return {"count": count, "crowded": n_crowded, "seconds": round(seconds, 3)}


def synthetic_folders(folder: Path) -> list[Path]:
    """The data sets of a synthetic set written by ``synthetic_set``."""
    folder = Path(folder)
    return [f for f in (folder, folder / CROWDED_DIR) if (f / "manifest.jsonl").exists()]


def _render(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    return synthetic_set(ctx, ctx.budget.synthetic_images, out, ctx.seed_of("render"), progress)


def _train(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    """``dgan train`` on the synthetic set alone; a killed run continues from its last
    epoch (the training job keeps its state in the stage folder)."""
    from ..evaluate.train import TrainSettings
    from ..evaluate.train_job import train_model

    b = ctx.budget
    progress.update(completed=0, total=b.train_epochs)
    settings = TrainSettings(patch=b.train_patch, batch=b.train_batch, contact_px=b.train_contact_px)
    result = train_model(synthetic_folders(ctx.dir("render")), out, epochs=b.train_epochs, seed=ctx.seed_of("train"),
                         settings=settings, log=lambda msg: None,
                         progress=lambda epoch, planned, entry: progress.update(completed=epoch, total=planned))
    history = json.loads((out / "curve.json").read_text())["history"]
    return {"epochs": result["epochs_run"], "final_loss": result["final_loss"],
            "pixel_size_nm": result["pixel_size_nm"], "history": history}


def _segment(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    """First a synthetic set the model never saw (drawn like its training set - the
    fitted look, the run's geometry, its crowded share - with another seed) chooses how
    far to trust the network's faint boundaries and how deep a neck must be to split two
    particles (``necks``), and measures the size error left after them
    (``size_check.json``: reported, not applied); then the real micrographs are segmented
    with them, and detections their own foreground does not show are dropped
    (``evaluate/ground.py``)."""
    from ..evaluate.data import load_annotated, load_images
    from ..evaluate.measure import segment_folder
    from ..evaluate.necks import check_held_out
    from ..evaluate.train import load_model

    fresh(out)
    b = ctx.budget
    n_real = len(load_images(ctx.real, pixel_size_nm=ctx.pixel_size_nm))
    progress.update(completed=0, total=b.split_images + n_real)
    val = out / "synthetic-held-out"
    synthetic_set(ctx, b.split_images, val, ctx.seed_of("segment"))
    progress.update(completed=b.split_images, info="choosing the boundary weight and neck depth")
    model, meta = load_model(ctx.dir("train") / "model.pt")
    held = [s for folder in synthetic_folders(val) for s in load_annotated(folder)]
    split, check = check_held_out(model, held, float(meta["pixel_size_nm"]), seed=ctx.seed_of("segment"))
    write_json(out / SIZE_CHECK_FILE, check)
    summary = segment_folder(ctx.dir("train") / "model.pt", ctx.real, out, pixel_size_nm=ctx.pixel_size_nm,
                             log=lambda msg: progress.advance(1), split_h=split.h,
                             boundary_weight=split.boundary_weight, loaded=(model, meta), ground_check=True)
    return {**{k: summary[k] for k in ("n_images", "n_particles", "n_particles_inner", "ground_check")},
            "boundary_weight": split.boundary_weight, "weight_scores_held_out": split.weight_scores,
            "split_necks_h": split.h, "split_scores_held_out": split.depth_scores, "held_out_sizes": check["record"]}


def _report(ctx: RunContext, out: Path, resumed: bool, progress) -> dict:
    """The page and the numbers, and the run's geometry re-estimated from the particles
    it measured (``prior/refine.py``): a preset for this material that a later run can
    start from (``--preset RUN/refined-preset.toml``), the bootstrap done by hand."""
    from ..prior.refine import write_refined
    from .report import build_report

    fresh(out)
    record = build_report(ctx, out, progress)
    meta = write_refined(ctx.dir("prior") / PRESET_FILE, ctx.dir("segment") / "instances", ctx.real,
                         out / REFINED_FILE, pixel_size_nm=ctx.pixel_size_nm, seed=ctx.seed_of("report"),
                         layouts=ctx.budget.refine_layouts)
    law = read_toml(out / REFINED_FILE)["particles"].get("diameter", {})
    return {**record, "refined_preset": {"median_nm": law.get("median_nm"), "sigma_log": law.get("sigma_log"),
                                         "particles": meta.get("particles"), "kept": meta.get("kept")}}


ADAPTERS = {"prior": _prior, "fit": _fit, "render": _render, "train": _train,
            "segment": _segment, "report": _report}
