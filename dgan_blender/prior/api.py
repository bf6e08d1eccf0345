"""``dgan prior``: a complete scene preset from unannotated micrographs (never masks).

Steps: read (pixel size from metadata), polarity from the grey histogram's tails,
foreground by one pooled Otsu threshold after removing the background trend, single
particles (isolated, convex, off the border) set the scale of a distance-transform
watershed that splits touching ones, statistics of what that estimator sees, then the
calibration by synthesis (``calibrate``) turns them into preset values. Everything is
seeded; the same images and seed give the same preset.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..config import deep_merge, load_config, preset_path, read_toml
from ..errors import DganError
from ..geometry.shapes import SHAPES
from . import foreground as fgm
from .calibrate import Theta, calibrate
from .figure import crops, write_figure
from .law import loguniform_from_moments, statistics
from .reader import read_micrographs
from .segments import measure, single_particles
from .toml_out import write_preset

MIN_PARTICLES = 10
MIN_REAL_SINGLES = 30  # single particles on the real images for their median to set the size
MIN_SEPARATION = 10.0  # ground noise alone splits into classes ~6 widths apart; BAM TiO2 SEM: 51
# Seams (dark crevices between touching particles, segments.crevices) are off: the
# Blender-free synthesis has no grey image to find them in, so the calibration could
# only assume them perfect - which they are not (on the BAM images they moved the law
# the wrong way). Binary masks on both sides keep the estimator the same on both.
SEAMS = False
WIRE_ASPECT = 8.0  # median skeleton length / width of the components above which the powder is wires
SYN_FIELD_PX = 384
WIRE_SPLIT_ELONGATION = 3.0


def _family(kind: str, elong_q90: float, roundness: float) -> str:
    """The particle shape family the measurements point to (a suggestion for the meshes)."""
    if kind == "wire":
        return "wires"
    if kind == "sphere":
        return "spheres"
    if elong_q90 >= 2.2:
        return "rods/cuboids"
    if roundness < 0.93:
        return "faceted polyhedra with sharp edges"
    return "rounded irregular solids"


# rods only where clearly rods: on the BAM TiO2 SEM images (elongation q90 2.33, --no-render) rods
# put the calibrated prior's visible median +99 % off the masks (Wasserstein 185 nm), elongated
# polyhedra +24.7 % (55 nm), ellipsoids +17.5 % (64 nm): the estimator splits long prisms
ROD_ELONGATION = 3.0
# particles.shape written without --shape: rounded solids (ellipsoids) unless the particles
# are clearly rods or spheres. The flat-faced families stay a user's choice (dgan prior
# --shape) because the automatic polyhedron failed end to end: on the BAM TiO2 SEM images
# (roundness 0.91) its calibration never improved on its first pass (gap 0.15 -> 0.59 ->
# 0.78, so the uncalibrated 226.7 nm law was written), and dgan measure's U-Net, trained on
# its sparse isolated shards, joined the real agglomerates: 608 particles where the masks
# hold 4294, median +80 % (README, "The geometry prior").
AUTO_SHAPE = {"spheres": "sphere", "rods/cuboids": "rod", "faceted polyhedra with sharp edges": "ellipsoid",
              "rounded irregular solids": "ellipsoid"}


def _shape(family: str, elong_q90: float, requested: str | None = None) -> str:
    """particles.shape for a family: ``requested`` (``--shape``) when given; else rods
    only for clearly rod-like particles, and rounded solids for the other compact ones."""
    if requested:
        return requested
    if family == "rods/cuboids" and elong_q90 < ROD_ELONGATION:
        return "ellipsoid"
    return AUTO_SHAPE[family]


def _materials(base: dict, polarity: str) -> tuple[dict, bool]:
    """The imaging mode and material tables whose contrast has the measured polarity -
    bright particles: secondary electrons, dark ones: transmission, so a user never
    chooses the mode - and whether the base's own (and its fitted look) already had it."""
    p = base.get("particle_material", {})
    s = base.get("substrate", {}).get("material", {})
    p_level = p.get("sem_base", 0.3) + 0.5 * p.get("sem_edge", 0.6)
    s_level = s.get("sem_base", 0.1) + 0.5 * s.get("sem_edge", 0.0)
    transmission = base.get("imaging", {}).get("mode") == "transmission"
    base_bright = not transmission and p_level >= s_level
    if base_bright == (polarity == "bright"):
        return {}, True
    if polarity == "dark":  # dark particles on a bright ground: the beam through them
        return {"imaging": {"mode": "transmission"}, "particle_material": {"tr_attenuation_per_nm": 0.02},
                "substrate": {"material": {"tr_level": 0.8}}}, False
    return {"imaging": {"mode": "se"}, "particle_material": {"sem_base": 0.35, "sem_edge": 0.55},
            "substrate": {"material": {"sem_base": 0.12, "sem_edge": 0.0}}}, False


def measure_real(micrographs, log=lambda m: None) -> dict:
    """The estimator on the real images: polarity, foreground, split particles, statistics."""
    imgs = [m.image for m in micrographs]
    polarity, skew = fgm.polarity(imgs)
    sign = 1.0 if polarity == "bright" else -1.0
    preps = [fgm.prepared(im, sign) for im in imgs]
    thr = fgm.pooled_threshold(preps)
    sep = fgm.separation(preps, thr)
    if sep < MIN_SEPARATION:
        raise DganError(f"the images show no particles: the grey levels split into no two classes (particle "
                        f"and ground {sep:.1f} ground-noise widths apart, need {MIN_SEPARATION}); check --real "
                        "points at micrographs of particles")
    fgs = [fgm.foreground(p, thr) for p in preps]
    singles = np.concatenate([single_particles(f)[0] for f in fgs])
    all_blobs = sum(int(f.any()) for f in fgs)
    if singles.size == 0 and all_blobs == 0:
        raise DganError("the images show no particles (no foreground after thresholding); "
                        "check --real points at micrographs of particles")
    radius_px = float(np.median(singles)) / 2 if singles.size else 4.0
    from .segments import crevices

    measured = [measure(f, radius_px, wires=True, cuts=crevices(p, f, radius_px) if SEAMS else None)
                for p, f in zip(preps, fgs)]
    short = min(min(im.shape) for im in imgs)
    every = np.concatenate([2 * np.sqrt(np.bincount(m.labels.ravel())[1:] / np.pi) for m in measured])
    every = every[every > 0]
    if every.size and float(np.median(every)) > short / 6:
        raise DganError(f"particles of ~{np.median(every):.0f} px in fields of {short} px: the field of view is "
                        "too small for the particles; image at a lower magnification (fields >= 6 particle diameters)")
    n = sum(m.diameters_px.size for m in measured)
    if n < MIN_PARTICLES:
        raise DganError(f"only {n} whole particles found in {len(imgs)} images (need {MIN_PARTICLES}); "
                        "give more images or ones at a magnification that shows whole particles")
    px = [m.pixel_size_nm for m in micrographs]
    stats = statistics(measured, px, [im.shape for im in imgs], k_max=40)
    stats["k_max"] = max(2, stats["agg_max"])
    aspect = np.concatenate([m.wire_aspect for m in measured])
    log(f"prior: {len(imgs)} images, polarity {polarity} (tail skew {skew:.3f}), {n} particles, "
        f"{singles.size} single, radius {radius_px:.1f} px")
    return {"polarity": polarity, "skew": skew, "threshold": thr, "radius_px": radius_px, "stats": stats,
            "measured": measured, "preps": preps, "px": px, "singles": singles,
            "wire_aspect": float(np.median(aspect)) if aspect.size else 0.0}


def _wire_tables(real: dict) -> dict:
    ms, px = real["measured"], real["px"]
    widths = np.concatenate([m.wire_width_px * p for m, p in zip(ms, px)])
    lengths = np.concatenate([m.wire_length_px * p for m, p in zip(ms, px)])
    wm, ws = float(np.median(widths)), float(np.std(np.log(widths)))
    lm, ls = float(np.median(lengths)), float(np.std(np.log(lengths)))
    cov_lo, cov_hi = loguniform_from_moments(real["stats"]["cov_mu"], real["stats"]["cov_sd"])
    return {"particles": {"kind": "wire", "count": 0, "coverage": round(cov_lo, 5), "coverage_max": round(cov_hi, 5),
                          "diameter": {"kind": "lognormal", "median_nm": round(wm, 2), "sigma_log": round(ws, 4),
                                       "min_nm": round(wm / 3, 2), "max_nm": round(wm * 3, 2)}},
            "wires": {"length": {"kind": "lognormal", "median_nm": round(lm, 1), "sigma_log": round(ls, 4),
                                 "min_nm": round(lm / 5, 1), "max_nm": round(lm * 5, 1)}}}


def infer_prior(real_dir: str | Path, out: Path, base: str = "tio2-sem", pixel_size_nm: float | None = None,
                seed: int = 0, passes: int = 6, layouts: int = 16, render: bool = True, log=lambda m: None,
                shape: str | None = None, layers: str | None = None) -> dict:
    """Write the preset ``out`` and ``prior.png`` beside it; returns the [prior.meta] table.
    ``shape``: the particles' shape family (``particles.shape``), else chosen by ``_shape``;
    ``layers``: "2d" or "3d" stacking, else the base's unless piles could not cover the
    ground the images show (``calibrate.piles_coverage_needed``)."""
    t0 = time.time()
    requested = shape
    if requested is not None and requested not in SHAPES:
        raise DganError(f"--shape {requested}: not a shape family; give one of {', '.join(SHAPES)}")
    if layers is not None and layers not in ("2d", "3d"):
        raise DganError(f"--layers {layers}: give 2d (a monolayer) or 3d (piles), or leave it out")
    out = Path(out)
    base_file = preset_path(base)
    base_data = read_toml(base_file)
    scene_base = {k: v for k, v in base_data.items() if k not in ("meta", "fitted", "prior")}
    load_config(str(base_file))  # a bad base fails here, with its own message
    micro = read_micrographs(real_dir, pixel_size_nm)
    real = measure_real(micro, log)
    st = real["stats"]
    px_nm = float(np.median(real["px"]))
    h = min(SYN_FIELD_PX, min(m.image.shape[0] for m in micro))
    w = min(SYN_FIELD_PX, min(m.image.shape[1] for m in micro))
    n_single = st["n_single"]
    split_el = np.concatenate([m.split_elongation for m in real["measured"]])
    # wires: long thin components that the watershed leaves long (one plateau per wire);
    # a cluster of spheres also has a long skeleton, but splits into round pieces
    is_wire = (real["wire_aspect"] >= WIRE_ASPECT and split_el.size > 0
               and float(np.median(split_el)) >= WIRE_SPLIT_ELONGATION)
    meta: dict = {"method": "polarity from grey-histogram tails; pooled Otsu foreground after background-trend "
                            "removal; single (isolated, convex, off-border) particles set an h-maxima scale for a "
                            "distance-transform watershed; statistics matched by synthesis (simulated moments: layouts "
                            "of a candidate prior measured by the same estimator, see calibration_images); "
                            "never masks",
                  "images": len(micro), "source": str(real_dir), "seed": int(seed),
                  "pixel_size_nm": round(px_nm, 4), "polarity": real["polarity"],
                  "polarity_tail_skew": round(real["skew"], 4),
                  "threshold": round(real["threshold"], 5), "single_particles": int(n_single),
                  "split_particles": int(st["n"]), "split_radius_px": round(real["radius_px"], 2),
                  "measured_median_nm": round(math.exp(st["log_median"]), 2),
                  "measured_sigma_log": round(st["log_sigma"], 4),
                  "measured_coverage_q05_q50_q95": [round(float(q), 4) for q in np.percentile(
                      [m.coverage for m in real["measured"]], [5, 50, 95])],
                  "measured_agglomerate_exponent": round(st["agg_exponent"], 3),
                  "measured_elongation_q10_q90": [round(st.get("elong_q10", 1.0), 3), round(st.get("elong_q90", 1.0), 3)],
                  "measured_roundness": round(st["roundness"], 4),
                  "measured_cluster_solidity": round(st["cluster_solidity"], 4),
                  "wire_aspect_median": round(real["wire_aspect"], 3), "base": base}
    materials, same_polarity = _materials(scene_base, real["polarity"])
    d_syn = np.zeros(0)
    if is_wire:
        geometry = _wire_tables(real)
        kind = "wire"
        meta["calibration"] = "none for wires: widths and skeleton lengths as measured (lengths of off-border wires)"
    else:
        bp = scene_base.get("particles", {})
        ba = scene_base.get("agglomerates", {})
        round_ok = st["roundness"] >= 0.95 if np.isfinite(st["roundness"]) else True  # no singles: elongation decides
        kind = "sphere" if st.get("elong_q90", 1.0) < 1.2 and round_ok else "irregular"
        cov_lo, cov_hi = loguniform_from_moments(st["cov_mu"], st["cov_sd"])
        family = _family(kind, st.get("elong_q90", 1.0), st["roundness"])
        shape = _shape(family, st.get("elong_q90", 1.0), requested)
        if kind == "sphere" and shape not in ("ellipsoid", "sphere"):
            kind = "irregular"  # the family asked for is not round
        facets = int(bp.get("facets", 0)) or 8
        facets = max(facets, 4) if shape == "polyhedron" else facets
        extra = {"particles": {"facets": facets}} if kind == "irregular" else {}
        theta = Theta(st["log_median"], st["log_sigma"], cov_lo, cov_hi,
                      st["agg_exponent"] if np.isfinite(st["agg_exponent"]) else 2.0, st["k_max"],
                      st.get("elong_q10", 1.0), st.get("elong_q90", 1.0), float(bp.get("facet_depth", 0.1)),
                      layers or ba.get("layers", "3d"), kind, extra, shape)
        calib_base = deep_merge(scene_base, materials)
        renderer = None
        if render:
            from ..appearance.look import load_look
            from .rendered import Renderer

            look = load_look(None, load_config(base)) if same_polarity else None
            renderer = Renderer(look, 1.0 if real["polarity"] == "bright" else -1.0, real["radius_px"], SEAMS,
                                seed=seed)
            meta["calibration_images"] = ("rendered (mitsuba engine) with the base's "
                                          + ("fitted look" if look else "materials") + ", measured like the real ones")
        else:
            meta["calibration_images"] = "Blender-free footprints (binary), measured like the real foregrounds"
        singles = n_single >= MIN_REAL_SINGLES
        theta, history, d_syn = calibrate(calib_base, theta, st, real["radius_px"], (h, w), px_nm, passes, layouts,
                                          seed, log=log, renderer=renderer, singles=singles, average=True,
                                          choose_layers=layers is None)
        meta["size_statistic"] = ("median of the single (isolated, convex, off-border) particles" if singles else
                                  f"median of the split particles (fewer than {MIN_REAL_SINGLES} single ones)")
        geometry = theta.tables()
        passes_done = [e for e in history if "gap" in e]
        means = [e for e in passes_done if e["pass"] == "mean"]
        meta["written_pass"] = ("mean" if means else
                                min(passes_done, key=lambda e: e["gap"])["pass"] if passes_done else -1)
        meta["calibration"] = history
        meta["layers_rule"] = (f"{layers} given with --layers" if layers else
                               f"the base's stacking ({ba.get('layers', '3d')}), unless 3-D piles of the law would "
                               "have to be asked for a median coverage above the cap to cover as much ground as the "
                               "images (then a monolayer, 2d); the footprints' shape statistics cannot tell piles "
                               "from a monolayer (see stacking_check in calibration)")
    meta["particle_kind"] = kind
    meta["shape_family_suggestion"] = "wires" if kind == "wire" else family
    if kind != "wire":
        meta["shape_rule"] = (f"particles.shape {requested!r} given with --shape" if requested else
                              "particles.shape from the family: elongation q90 >= 3.0 rod, kind sphere: sphere, "
                              "else ellipsoid (flat-faced families only with --shape)")
    meta["materials"] = ("base's materials kept (same polarity)" if same_polarity else
                         f"materials set for {real['polarity']} particles; base's fitted look dropped (run dgan fit)")
    data = deep_merge(scene_base, materials)
    data = deep_merge(data, geometry)
    data["name"] = out.stem
    data["description"] = (f"Inferred by dgan prior from {len(micro)} micrographs ({real['polarity']} particles, "
                           f"{meta['shape_family_suggestion']})")
    data.setdefault("image", {})["pixel_size_nm"] = round(px_nm, 4)
    if same_polarity and "fitted" in base_data:
        data["fitted"] = base_data["fitted"]
    meta["seconds"] = round(time.time() - t0, 1)
    data["prior"] = {"meta": meta}
    write_preset(out, data, f"# Written by dgan prior from {real_dir} (images only, no masks); base preset {base}.\n"
                            "# [prior.meta] says how each value was found.\n")
    d_real = np.concatenate([m.diameters_px * p for m, p in zip(real["measured"], real["px"])])
    law = data["particles"]["diameter"]
    fields = crops([m.image for m in micro], [m.labels for m in real["measured"]])
    write_figure(out.parent / "prior.png", d_real, d_syn, law, fields,
                 f"{len(micro)} images: {real['polarity']} particles, coverage {data['particles']['coverage']:.3f}-"
                 f"{data['particles'].get('coverage_max', 0):.3f}, {data['agglomerates'].get('layers', '?')}")
    return meta
