"""Remove the estimator's bias by synthesis: the method of simulated moments.

Splitting a thresholded mask still merges some touching particles and cuts others,
particles hide each other in agglomerates, and what the preset draws (volume-equivalent
diameters, requested coverage) is not what a camera shows. Rather than model each of
these, layouts are drawn from a candidate prior (Blender-free), seen as the camera sees
them - rendered with the base's look (``rendered``), or as binary footprints
(``visible``) - and measured by the very estimator used on the real images; the
candidate moves by the difference between the real and the synthetic statistics
(log median and log spread of the diameters, per-image coverage, agglomerate-size
exponent, elongation, roundness) until they agree. Layouts use the same seeds every
pass (common random numbers), so the steps are not noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..config import deep_merge, from_dict
from ..errors import ConfigError
from ..evaluate.sizes import instance_diameters_nm
from ..geometry.shapes import SHARP
from .law import loguniform_from_moments, statistics
from .segments import measure
from .visible import visible_instances

SHARP_MESH_LEVEL = 5  # edges of a 170 nm cuboid bevelled over 5.6 nm (level 4: 10.1 nm), under a 7.3 nm pixel
FACET_GAIN = 2.0  # facet_depth step per unit of roundness difference
MIN_SYN_SINGLES = 5  # single particles a synthetic set needs for the singles' median to be compared
COVER_CAP = 0.5  # the most ground a candidate may ask its layouts to cover
DAMP = 0.7  # share of each gap a step closes: the statistics are coupled (a wider law also merges more)


@dataclass
class Theta:
    """The geometry being calibrated (the preset's values)."""

    log_median: float
    sigma: float
    cov_lo: float
    cov_hi: float
    exponent: float
    max_size: int
    elong_min: float
    elong_max: float
    facet_depth: float
    layers: str = "3d"
    kind: str = "irregular"
    extra: dict = field(default_factory=dict)
    shape: str = "ellipsoid"  # particles.shape; flat-faced families get meshes fine enough for their edges

    def tables(self) -> dict:
        med = math.exp(self.log_median)
        p = {
            "kind": self.kind, "count": 0, "coverage": round(self.cov_lo, 5),
            "coverage_max": round(max(self.cov_hi, self.cov_lo), 5),
            "diameter": {"kind": "lognormal", "median_nm": round(med, 2), "sigma_log": round(self.sigma, 4),
                         "min_nm": round(med * math.exp(-3 * self.sigma), 2),
                         "max_nm": round(med * math.exp(3 * self.sigma), 2)},
        }
        if self.kind != "sphere":
            p |= {"elongation_min": round(self.elong_min, 3), "elongation_max": round(self.elong_max, 3),
                  "facet_depth": round(self.facet_depth, 4), "shape": self.shape}
            if self.shape in SHARP:
                p["mesh_subdivisions"] = SHARP_MESH_LEVEL
        else:
            p |= {"elongation_min": 1.0, "elongation_max": 1.0, "facets": 0, "shape": "sphere"}
        a = {"sizes": "power", "size_exponent": round(self.exponent, 3), "max_size": int(self.max_size),
             "placement": "contact", "layers": self.layers}
        return deep_merge({"particles": p, "agglomerates": a}, self.extra)


def synthetic_config(base: dict, theta: Theta, field_px: tuple[int, int], px_nm: float):
    data = deep_merge(base, theta.tables())
    data = deep_merge(data, {"image": {"width_px": field_px[1], "height_px": field_px[0], "pixel_size_nm": px_nm},
                             "particles": {"mesh_subdivisions": 2}})
    return from_dict(data)


def seams(vis: np.ndarray) -> np.ndarray:
    """Pixels of a particle next to another particle: where real images show the dark
    crevice ``segments.crevices`` looks for (perfectly detected - why seams are off)."""
    out = np.zeros(vis.shape, bool)
    for a, b in ((vis[1:], vis[:-1]), (vis[:, 1:], vis[:, :-1])):
        d = (a != b) & (a > 0) & (b > 0)
        if a.shape[0] < vis.shape[0]:
            out[1:] |= d
        else:
            out[:, 1:] |= d
    return out


def synthetic_set(cfg, theta: Theta, seeds: list[int], radius_px: float, renderer=None) -> tuple[list, list, int]:
    """Measured (as the real images are) and true visible diameters (nm) of layouts drawn
    at evenly spread coverages of the candidate's log-uniform range; ``renderer``
    (``rendered.Renderer``) measures rendered micrographs instead of footprints; and how
    many layouts could not be packed."""
    from ..geometry import generate_layout

    n = len(seeds)
    lo, hi = math.log(theta.cov_lo), math.log(max(theta.cov_hi, theta.cov_lo))
    measured, truth, lays = [], [], []
    failed = 0
    for i, s in enumerate(seeds):
        cov = math.exp(lo + (i + 0.5) / n * (hi - lo))
        try:
            lay = generate_layout(cfg, np.random.default_rng([s, 16]), s, coverage=cov)
        except ConfigError:  # more than the field holds: this candidate cannot make such images
            failed += 1
            continue
        vis = visible_instances(lay)
        lays.append(lay)
        if renderer is None:
            measured.append(measure(vis > 0, radius_px))
        truth.append(instance_diameters_nm(vis, cfg.image.pixel_size_nm))
    if renderer is not None and lays:
        measured = renderer(cfg, lays)
    return measured, truth, failed


def _stats(measured, cfg, k_max):
    shp = (cfg.image.height_px, cfg.image.width_px)
    return statistics(measured, [cfg.image.pixel_size_nm] * len(measured), [shp] * len(measured), k_max)


def piles_coverage_needed(theta: Theta, real: dict, syn: dict) -> float:
    """The median coverage 3-D piles of this law would have to be asked for to show as much
    covered ground as the images do (0 for a monolayer candidate). Piles hide ground a
    monolayer shows, so where that exceeds what a layout may be asked for (``COVER_CAP``)
    the images cannot be piles of such particles. This is the one stacking evidence the
    binary footprints give: their shape statistics (cluster solidity, split sizes) were
    measured alike for both stackings of the BAM TiO2 law - 0.81 against 0.80 over ~1200
    particles, inside the layout seed's spread - so a choice made from them followed the seed."""
    if theta.layers != "3d" or "cov_mu" not in syn:
        return 0.0
    mu = 0.5 * (math.log(theta.cov_lo) + math.log(max(theta.cov_hi, theta.cov_lo)))
    return float(math.exp(mu + real["cov_mu"] - syn["cov_mu"]))


def size_key(real: dict, syn: dict, singles: bool) -> str:
    """The size statistic two sets are compared by: the single (isolated, convex) particles'
    median where asked and both sets hold enough of them, else the split particles'."""
    if singles and syn.get("n_single", 0) >= MIN_SYN_SINGLES and "single_log_median" in real \
            and "single_log_median" in syn:
        return "single_log_median"
    return "log_median"


def step(theta: Theta, real: dict, syn: dict, singles: bool = False) -> Theta:
    """One fixed-point step: each parameter moves by the real-minus-synthetic gap of its statistic."""
    t = Theta(**{**theta.__dict__})
    if "log_median" in syn and "log_median" in real:
        key = size_key(real, syn, singles)
        t.log_median += DAMP * (real[key] - syn[key])
        if syn["log_sigma"] > 1e-3:
            ratio = np.clip(real["log_sigma"] / syn["log_sigma"], 0.5, 2.0) ** DAMP
            t.sigma = float(np.clip(t.sigma * ratio, 0.02, 1.0))
    mu = 0.5 * (math.log(t.cov_lo) + math.log(t.cov_hi))
    sd = (math.log(t.cov_hi) - math.log(t.cov_lo)) / math.sqrt(12)
    mu += DAMP * (real["cov_mu"] - syn["cov_mu"])
    if syn["cov_sd"] > 1e-3:
        sd *= float(np.clip(real["cov_sd"] / syn["cov_sd"], 0.5, 2.0) ** DAMP)
    t.cov_lo, t.cov_hi = loguniform_from_moments(mu, sd)
    if syn.get("failed", 0.0) > 0:  # the top of the range does not pack: lower it by the share that failed
        t.cov_hi = t.cov_lo + (t.cov_hi - t.cov_lo) * (1.0 - syn["failed"])
    t.cov_lo, t.cov_hi = max(t.cov_lo, 1e-3), min(t.cov_hi, COVER_CAP)
    if np.isfinite(real["agg_exponent"]) and np.isfinite(syn["agg_exponent"]):
        t.exponent = float(np.clip(t.exponent + DAMP * (real["agg_exponent"] - syn["agg_exponent"]), 0.0, 5.0))
    if "elong_q10" in real and "elong_q10" in syn:
        t.elong_min = float(np.clip(t.elong_min + DAMP * (real["elong_q10"] - syn["elong_q10"]), 1.0, 4.0))
        t.elong_max = float(np.clip(t.elong_max + DAMP * (real["elong_q90"] - syn["elong_q90"]), t.elong_min, 5.0))
    if np.isfinite(real["roundness"]) and np.isfinite(syn["roundness"]) and t.kind != "sphere":
        t.facet_depth = float(np.clip(t.facet_depth + FACET_GAIN * (syn["roundness"] - real["roundness"]), 0.0, 0.45))
    return t


def gap(real: dict, syn: dict, singles: bool = False) -> float:
    """How far a candidate's synthetic statistics lie from the real ones (log units)."""
    if "log_median" not in syn:
        return float("inf")
    key = size_key(real, syn, singles)
    g = abs(real[key] - syn[key])
    g += abs(math.log(max(real["log_sigma"], 1e-3) / max(syn["log_sigma"], 1e-3)))
    return g + 0.5 * abs(real["cov_mu"] - syn["cov_mu"])


def calibrate(base: dict, theta: Theta, real: dict, radius_px: float, field_px: tuple[int, int], px_nm: float,
              passes: int, layouts: int, seed: int, choose_layers: bool = True, log=lambda m: None,
              renderer=None, singles: bool = False, average: bool = False):
    """Returns the candidate whose synthetic statistics came nearest the real ones (a
    verified one: steps are not guaranteed to converge, as a wider law also merges
    more), the history of passes (statistics, the synthetic sets' own estimator
    error against their truth) and what the estimator found on its layouts (nm).

    ``singles``: compare sizes by the single particles' median (``size_key``);
    ``average``: return the mean of the candidates of passes 1.. (``mean_candidate``)
    instead of the nearest one."""
    seeds = [int(seed) * 1000 + i for i in range(layouts)]
    history = []
    best, best_gap, best_found = theta, float("inf"), np.zeros(0)
    walk: list[Theta] = []
    k_max = theta.max_size

    def synthetic(cand: Theta):
        """(statistics, diameters the estimator found (nm), true visible diameters per
        layout) of a candidate's layouts; None when none of them packs."""
        cfg = synthetic_config(base, cand, field_px, px_nm)
        measured, truth, failed = synthetic_set(cfg, cand, seeds, radius_px, renderer)
        if not measured:
            return None
        st = _stats(measured, cfg, k_max)
        st["failed"] = failed / len(seeds)
        return st, np.concatenate([m.diameters_px for m in measured]) * px_nm, truth

    def packed(cand: Theta):
        r = synthetic(cand)
        if r is None:
            raise ConfigError("the candidate prior's layouts do not fit the field; give larger images")
        return (cand, *r)

    for k in range(passes):
        cand, syn, found, truth = packed(theta)
        if k == 0 and choose_layers:
            need = piles_coverage_needed(theta, real, syn)
            history.append({"stacking_check": {"piles_need_coverage": round(need, 4), "cap": COVER_CAP,
                                               "chosen": "2d" if need > COVER_CAP else theta.layers}})
            if need > COVER_CAP:  # piles cannot cover that much ground: a monolayer
                cand, syn, found, truth = packed(Theta(**{**theta.__dict__, "layers": "2d"}))
        true = np.concatenate(truth)
        entry = {"pass": k, "median_nm": round(math.exp(cand.log_median), 2), "sigma_log": round(cand.sigma, 4),
                 "coverage": [round(cand.cov_lo, 4), round(cand.cov_hi, 4)], "layers": cand.layers,
                 "syn_measured_median_nm": round(math.exp(syn.get("log_median", float("nan"))), 2),
                 "size_statistic": size_key(real, syn, singles),
                 "syn_single_median_nm": round(math.exp(syn.get("single_log_median", float("nan"))), 2),
                 "syn_singles": int(syn.get("n_single", 0)),
                 "real_measured_median_nm": round(math.exp(real["log_median"]), 2),
                 "syn_estimator_vs_truth_median_pct": round(100 * (np.median(found) / np.median(true) - 1), 2)
                 if found.size and true.size else float("nan")}
        # a prior whose layouts do not pack is no preset: unpackable layouts count against it
        entry["unpackable_layouts"] = round(syn["failed"], 3)
        entry["gap"] = round(gap(real, syn, singles) + syn["failed"], 4)
        history.append(entry)
        log(f"prior: pass {k}: {entry}")
        if entry["gap"] < best_gap:
            best, best_gap, best_found = cand, entry["gap"], found
        theta = step(cand, real, syn, singles)
        walk.append(cand)
    if average and len(walk) > 2:
        best = mean_candidate(walk[1:])
        r = synthetic(best)
        if r is not None:
            syn, best_found, _ = r
            history.append({"pass": "mean", "median_nm": round(math.exp(best.log_median), 2),
                            "sigma_log": round(best.sigma, 4), "coverage": [round(best.cov_lo, 4), round(best.cov_hi, 4)],
                            "layers": best.layers, "of_passes": list(range(1, len(walk))),
                            "size_statistic": size_key(real, syn, singles),
                            "unpackable_layouts": round(syn["failed"], 3),
                            "gap": round(gap(real, syn, singles) + syn["failed"], 4)})
            log(f"prior: mean of passes: {history[-1]}")
    return best, history, best_found


def mean_candidate(walk: list[Theta]) -> Theta:
    """The average of the passes' candidates (Polyak-Ruppert): each pass's synthetic
    statistics are noisy (a few hundred particles in a few layouts), so the steps
    wander around the fixed point; their mean is nearer it than any one of them. Sizes,
    spreads and coverages are averaged in logs; the stacking is the walk's own."""
    t = Theta(**{**walk[-1].__dict__})
    t.log_median = float(np.mean([w.log_median for w in walk]))
    t.sigma = float(np.exp(np.mean([math.log(w.sigma) for w in walk])))
    t.cov_lo = float(np.exp(np.mean([math.log(w.cov_lo) for w in walk])))
    t.cov_hi = float(np.exp(np.mean([math.log(max(w.cov_hi, w.cov_lo)) for w in walk])))
    for name in ("exponent", "elong_min", "elong_max", "facet_depth"):
        setattr(t, name, float(np.mean([getattr(w, name) for w in walk])))
    t.elong_max = max(t.elong_max, t.elong_min)
    return t
