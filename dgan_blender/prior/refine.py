"""The geometry prior re-estimated from a segmentation network's particles (bootstrap
by synthesis).

The threshold-and-watershed estimator of ``api`` can only split touching particles at
necks, so on dense agglomerates it merges neighbours, and on real images more than on
the calibration's renders (BAM TiO2 SEM: it finds 1938 particles where the masks hold
4294). A U-Net trained on synthetic images of a first prior sees the grey-level
boundaries between particles instead. Its instances on the real images are measured
with the same statistics, and the calibration by synthesis then only has to remove
what a perfect segmentation would still see differently from the preset's law:
occlusion in piles, border cuts, the visible rather than the volume-equivalent size.
So the synthetic side is each layout's visible particles (``visible``, Blender-free,
exact), which is why this is cheap enough for many layouts.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..config import load_config, read_toml
from ..errors import DganError
from .calibrate import Theta, calibrate
from .law import loguniform_from_moments, statistics
from .segments import measure
from .visible import visible_instances

MIN_PARTICLES = 10


class VisibleParts:
    """Calibration estimator: a layout's visible particles, measured as given (what a
    segmentation without errors would return)."""

    def __call__(self, cfg, layouts) -> list:
        return [measure(None, 1.0, labels=visible_instances(lay)) for lay in layouts]


def read_instances(folder: Path, micrographs) -> list[np.ndarray]:
    """Instance maps (``dgan segment``'s OUT/instances/NAME.png) cropped like the images."""
    from ..micrograph import read_mask

    out = []
    for m in micrographs:
        path = Path(folder) / (Path(m.name).stem + ".png")
        if not path.is_file():
            raise DganError(f"{path}: no instance map for {m.name}; segment the images first (dgan segment)")
        lab = np.asarray(read_mask(path))
        if lab.shape[0] < m.image.shape[0] or lab.shape[1] != m.image.shape[1]:
            raise DganError(f"{path}: shape {lab.shape} does not match its image {m.image.shape}; "
                            "segment the same images again")
        out.append(lab[: m.image.shape[0]].astype(np.int32))
    return out


def theta_from(preset: dict, st: dict) -> Theta:
    """The starting candidate: the measured law and coverage, the preset's shape values."""
    p, a = preset.get("particles", {}), preset.get("agglomerates", {})
    cov_lo, cov_hi = loguniform_from_moments(st["cov_mu"], st["cov_sd"])
    extra = {k: p[k] for k in ("facets", "shape") if k in p}
    return Theta(st["log_median"], st["log_sigma"], max(cov_lo, 1e-3), cov_hi,
                 st["agg_exponent"] if np.isfinite(st["agg_exponent"]) else float(a.get("size_exponent", 2.0)),
                 max(2, int(st["agg_max"])), st.get("elong_q10", p.get("elongation_min", 1.0)),
                 st.get("elong_q90", p.get("elongation_max", 1.0)), float(p.get("facet_depth", 0.1)),
                 a.get("layers", "3d"), p.get("kind", "irregular"), {"particles": extra} if extra else {})


def refine(preset_file: Path, instances: list[np.ndarray], px_nm: list[float], seed: int = 0,
           passes: int = 5, layouts: int = 16, field_px: int = 384, log=lambda m: None,
           found: list | None = None) -> tuple[dict, dict]:
    """(geometry tables to merge into the preset, [prior.meta.refined]) from the instances;
    ``found`` (a list) receives the written candidate's synthetic diameters (nm)."""
    base = {k: v for k, v in read_toml(Path(preset_file)).items() if k not in ("meta", "fitted", "prior")}
    load_config(str(preset_file))
    measured = [measure(None, 1.0, labels=lab) for lab in instances]
    n = sum(m.diameters_px.size for m in measured)
    if n < MIN_PARTICLES:
        raise DganError(f"the segmentation found only {n} whole particles (need {MIN_PARTICLES}); "
                        "the prior is left as it was")
    shapes = [lab.shape for lab in instances]
    st = statistics(measured, px_nm, shapes, k_max=40)
    theta = theta_from(base, st)
    h = min(field_px, min(s[0] for s in shapes))
    w = min(field_px, min(s[1] for s in shapes))
    px = float(np.median(px_nm))
    best, history, syn_nm = calibrate(base, theta, st, 1.0, (h, w), px, passes, layouts, seed, log=log,
                                 renderer=VisibleParts())
    meta = {"method": "instances of the U-Net trained on the first prior's synthetic images (off-border, >= 20 px) "
                      "measured like the first prior's estimator; calibrated against the visible parts of layouts "
                      "of candidate priors (Blender-free)",
            "particles": int(n), "measured_median_nm": round(math.exp(st["log_median"]), 2),
            "measured_sigma_log": round(st["log_sigma"], 4), "layouts": int(layouts), "seed": int(seed),
            "calibration": history}
    if found is not None:
        found.append(syn_nm)
    return best.tables(), meta


def write_refined(preset_file: Path, instances_dir: Path, real: Path, out: Path, pixel_size_nm: float | None = None,
                  seed: int = 0, layouts: int = 16, log=lambda m: None) -> dict:
    """The preset ``out``: ``preset_file`` with the refined geometry and a
    [prior.meta.refined] table; a figure of the same name (.png) beside it (the network's
    particles on the real images, what the refined prior's layouts show, a few real
    fields outlined)."""
    from ..config import deep_merge
    from .figure import crops, write_figure
    from .reader import read_micrographs
    from .toml_out import write_preset

    micro = read_micrographs(real, pixel_size_nm)
    labs = read_instances(instances_dir, micro)
    px = [m.pixel_size_nm for m in micro]
    syn: list = []
    try:
        tables, meta = refine(preset_file, labs, px, seed=seed, layouts=layouts, log=log, found=syn)
    except DganError as exc:  # too little to go on: the first prior stands, and says why
        tables, meta = {}, {"kept": f"the first prior, unchanged: {exc}"}
    data = deep_merge(read_toml(Path(preset_file)), tables)
    data.setdefault("prior", {}).setdefault("meta", {})["refined"] = meta
    out = Path(out)
    write_preset(out, data, f"# {Path(preset_file).name} with its geometry re-estimated from a U-Net's particles "
                            "(prior/refine.py); [prior.meta.refined] says how.\n")
    d_real = np.concatenate([measure(None, 1.0, labels=lab).diameters_px * p for lab, p in zip(labs, px)] +
                            [np.zeros(0)])
    p = data["particles"]
    if d_real.size:
        write_figure(out.with_suffix(".png"), d_real, syn[0] if syn else np.zeros(0), p["diameter"],
                     crops([m.image for m in micro], labs),
                     f"refined from {len(micro)} segmented images: coverage {p['coverage']:.3f}-"
                     f"{p.get('coverage_max', 0):.3f}, {data['agglomerates'].get('layers', '?')}",
                     real_label="real, U-Net particles", syn_label="refined prior's layouts, visible parts")
    return meta
