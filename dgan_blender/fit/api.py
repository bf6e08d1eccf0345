"""``dgan fit`` as a library call: real images in, a fitted run folder out.

This is the one place where the trainer meets the Mitsuba bridge; everything else in
the package works with any :class:`~.generator.Generator`.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from .. import provenance
from ..config import SceneConfig, to_dict
from ..errors import DganError
from ..seeds import FIT_HOLDOUT, stream
from .real import load_real
from .trainer import Fit, FitOptions


def split_images(images: list, holdout: float, seed: int) -> tuple[list, list]:
    """A seeded split by image: held-out images are never trained on."""
    if holdout <= 0 or len(images) < 2:
        return images, []
    order = stream(seed, FIT_HOLDOUT).permutation(len(images))
    n_out = min(len(images) - 1, max(1, int(round(holdout * len(images)))))
    out = set(order[:n_out].tolist())
    return [im for i, im in enumerate(images) if i not in out], [im for i, im in enumerate(images) if i in out]


def load_split(cfg: SceneConfig, real: str | Path, opts: FitOptions, holdout: float = 0.2,
               eval_real: str | Path | None = None, pixel_size_nm: float | None = None,
               crop_bottom_px: int | None = None) -> tuple[list, list, list]:
    """Train and held-out real images at the preset's pixel size, and the held-out paths."""
    px = cfg.image.pixel_size_nm
    imgs = load_real(real, px, pixel_size_nm, crop_bottom_px, min_size_px=opts.patch)
    if eval_real:
        held = load_real(eval_real, px, pixel_size_nm, crop_bottom_px, min_size_px=opts.patch)
        opts.meta.setdefault("real_digest", provenance.files_digest([r.path for r in imgs + held]))
        return [r.image for r in imgs], [r.image for r in held], [str(r.path) for r in held]
    opts.meta.setdefault("real_digest", provenance.files_digest([r.path for r in imgs]))
    train, held = split_images(imgs, holdout, opts.shared_seed)
    return [r.image for r in train], [r.image for r in held], [str(r.path) for r in held]


def prepare(cfg: SceneConfig, real: str | Path, opts: FitOptions, holdout: float = 0.2,
            eval_real: str | Path | None = None, pixel_size_nm: float | None = None,
            crop_bottom_px: int | None = None) -> tuple[list, list]:
    """Check the inputs and load the real images; fills ``opts.meta``. Every user error
    surfaces here, before any layout is built."""
    if cfg.image.width_px < opts.patch or cfg.image.height_px < opts.patch:
        raise DganError(f"image size {cfg.image.width_px}x{cfg.image.height_px} px is smaller than the "
                        f"{opts.patch} px patch; raise image.width_px/height_px or lower --patch")
    train, held, held_paths = load_split(cfg, real, opts, holdout, eval_real, pixel_size_nm, crop_bottom_px)
    opts.meta.setdefault("command", " ".join(shlex.quote(a) for a in ["dgan", *sys.argv[1:]]))
    opts.meta.setdefault("data", str(real))
    opts.meta.setdefault("preset", cfg.name)
    opts.meta.setdefault("n_train_images", len(train))
    opts.meta.setdefault("heldout", ", ".join(Path(p).name for p in held_paths))
    if pixel_size_nm is not None:
        opts.meta.setdefault("real_pixel_size_nm", pixel_size_nm)
    if crop_bottom_px is not None:
        opts.meta.setdefault("crop_bottom_px", crop_bottom_px)
    return train, held


# FitOptions that shape what is learned; iters (a resume may extend a run), max_minutes,
# evaluation and checkpoint cadence, select_best (which point is written) may change.
_IDENTITY_OPTIONS = ("seed", "patch", "batch", "loss", "lr_g", "lr_d", "lr_decay", "lr_floor", "ema", "d_warmup",
                     "spectral", "augment", "d_channels")
# what prepare() recorded about the real images
_IDENTITY_META = ("real_digest", "heldout", "real_pixel_size_nm", "crop_bottom_px")


def fit_record(cfg: SceneConfig, opts: FitOptions, pool_size: int, spp: int, fixed: tuple[str, ...],
               match_coverage: bool) -> dict:
    """What decides a fit's result: the run's identity in RUN/run.json."""
    scene = hashlib.sha256(json.dumps(to_dict(cfg), sort_keys=True, default=str).encode()).hexdigest()[:16]
    shared = {} if opts.data_seed is None else {"data_seed": opts.data_seed}  # records before it stay valid
    return provenance.describe(
        preset=cfg.name, scene_config=scene, size=f"{cfg.image.width_px}x{cfg.image.height_px}",
        pool=pool_size, spp=spp, fixed=sorted(fixed), match_coverage=bool(match_coverage),
        **{k: getattr(opts, k) for k in _IDENTITY_OPTIONS}, **shared,
        **{k: opts.meta.get(k) for k in _IDENTITY_META})


def claim_run(out: Path, record: dict, resume: bool) -> None:
    """Makes ``out`` this fit's run folder. A used folder needs ``--resume``, and a
    resume needs the settings the run was made with: one line names the first that differs."""
    out = Path(out)
    ours = any((out / n).exists() for n in ("checkpoint.pt", "params.toml", "layouts"))
    provenance.claim_resumable(out, record, "fit", resume, ours)


def layout_coverages(train: list, opts: FitOptions, pool_size: int, match: bool) -> np.ndarray | None:
    """The pool's coverages matched to the real training patches (see :mod:`.content`),
    noted in ``opts.meta``; None keeps the preset's coverage range."""
    from .content import describe_targets, pool_coverages

    if not match:
        opts.meta.setdefault("layout_coverage", "the preset's coverage range")
        return None
    targets = pool_coverages(train, opts.patch, pool_size, opts.shared_seed)
    opts.meta.setdefault("layout_coverage", describe_targets(targets))
    return targets


def run_fit(cfg: SceneConfig, train: list, held: list, out: Path, opts: FitOptions, resume: bool = False,
            pool_size: int = 16, spp: int = 8, fixed: tuple[str, ...] = (), progress=None, on_step=None,
            match_coverage: bool = False, claimed: bool = False, layouts: Path | None = None) -> dict:
    """The bridge as the generator: layouts built (or read from ``layouts``, default
    RUN/layouts), then the fit. ``claimed``: the caller has already called
    :func:`claim_run` with these settings."""
    from .bridge_gen import BridgeGenerator

    if not claimed:
        claim_run(out, fit_record(cfg, opts, pool_size, spp, fixed, match_coverage), resume)
    coverages = layout_coverages(train, opts, pool_size, match_coverage)
    gen = BridgeGenerator(cfg, opts.shared_seed, pool_size, Path(layouts or Path(out) / "layouts"), spp=spp,
                          fixed=fixed, progress=progress, coverages=coverages)
    return Fit(gen, train, held, out, opts).run(resume=resume, on_step=on_step)
