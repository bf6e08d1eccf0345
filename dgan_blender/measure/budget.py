"""How a wall-clock budget is split over the stages: ONE table of defaults at 60 minutes,
scaled linearly by ``--budget-minutes``.

The budget is turned into counts (fit iterations, synthetic images, training epochs),
never into time limits: a stage that stops on the clock gives another result when the
machine is busier, and a resumed run must end with the same numbers as an uninterrupted
one. The 60-minute column was set from this 2-core CPU's figures in the README (fit
~0.78 s per iteration at 256 px: 1800 iterations in 23.3 min; rendering 2.1 images/s
with 2 workers; U-Net training ~49 s per epoch over 200 images of 256 px, from the
segmentation benchmark's 38.4 min) for 30 BAM micrographs of 1024x768 px; a GPU only
makes the same work faster.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

from ..errors import DganError

REFERENCE_MINUTES = 60.0

# field: (value at 60 min, "scaled" with the budget or "fixed", minimum, the stage's
# estimated minutes at 60 min on this CPU - recorded so a user sees where time goes)
TABLE: dict[str, tuple] = {
    "fit_iters":        (1300, "scaled", 2, "fit: ~17 min per try (0.78 s/iteration; most tries stop early)"),
    "fit_tries":        (2, "fixed", 1, "fit: fits with other training seeds, the look nearest the held-out real images kept (fit/tries.py)"),
    "fit_pool":         (16, "fixed", 1, "fit: layouts built once, ~1 min"),
    "fit_patch":        (256, "fixed", 32, ""),
    "fit_spp":          (8, "fixed", 1, ""),
    "synthetic_images": (300, "scaled", 4, "render: ~3 min (2 workers)"),
    "crowded_share":    (0.5, "fixed", 0.0, "share of the synthetic (and held-out) images drawn crowded (measure/crowded.py)"),
    "image_px":         (0, "fixed", 0, "0: the preset's image size"),
    "render_spp":       (0, "fixed", 0, "0: the preset's samples per pixel"),
    "train_epochs":     (18, "fixed", 1, "train: ~22 min (~74 s per epoch over 300 images)"),
    "train_patch":      (256, "fixed", 32, ""),
    "train_batch":      (8, "fixed", 1, ""),
    "train_contact_px": (2, "fixed", 1, "boundary width where particles touch (dgan train --contact-px)"),
    "split_images":     (120, "fixed", 2, "segment: held-out synthetic images that choose the neck split and measure the size bias, ~2 min"),
    "refine_layouts":   (16, "fixed", 2, "report: refined-preset.toml from the measured particles, ~1 min"),
}
# prior (~2-5 min), segmenting 30 images (~3 min) and the report (<1 min) are not scaled:
# ~47-51 min in all with one fit try, the rest is margin for a busier machine; the second
# try (fit_tries, 2) adds ~5-10 min where fits stop early (most do), up to ~17. Measured on the 30 BAM SEM
# images (README, "Measure your own micrographs"): 35.0 min in one uninterrupted run
# (fit 9.8, train 19.2, segment 3.0 min with 120 held-out images); 32.2 min with 40 of
# them; 45.9 min of stage time on a contended machine. A flat-faced prior
# (particles.shape polyhedron/cuboid/rod/plate) makes the prior stage several times longer.


@dataclass(frozen=True)
class Budget:
    fit_iters: int
    fit_tries: int
    fit_pool: int
    fit_patch: int
    fit_spp: int
    synthetic_images: int
    crowded_share: float
    image_px: int
    render_spp: int
    train_epochs: int
    train_patch: int
    train_batch: int
    train_contact_px: int
    split_images: int
    refine_layouts: int
    minutes: float = REFERENCE_MINUTES

    def as_dict(self) -> dict:
        return asdict(self)


def budget_for(minutes: float = REFERENCE_MINUTES, **override) -> Budget:
    """The table scaled to ``minutes``; ``override`` sets single fields (tests, tiny runs)."""
    if not minutes > 0:
        raise DganError(f"--budget-minutes {minutes}: give a positive number of minutes, e.g. 60")
    scale = minutes / REFERENCE_MINUTES
    values = {}
    for name, (value, how, lowest, _) in TABLE.items():
        values[name] = max(lowest, round(value * scale)) if how == "scaled" else value
    unknown = set(override) - {f.name for f in fields(Budget)}
    if unknown:
        raise DganError(f"budget: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(TABLE)}")
    values.update(override)
    if not 0.0 <= values["crowded_share"] <= 1.0:
        raise DganError(f"budget crowded_share {values['crowded_share']}: give a share from 0 to 1")
    if values["train_patch"] % 16:
        raise DganError(f"budget train_patch {values['train_patch']}: must be a multiple of 16")
    return Budget(minutes=float(minutes), **values)


def split_notes() -> dict[str, str]:
    """Where the budget goes, per field, as recorded in RUN/run.json."""
    return {name: note for name, (_, _, _, note) in TABLE.items() if note}


def render_workers() -> int:
    """Workers of the render stage: like ``dgan render``'s default. Not part of the run
    record: every sample's pixels come from (seed, index) alone."""
    return max(1, min(os.cpu_count() or 1, 4))
