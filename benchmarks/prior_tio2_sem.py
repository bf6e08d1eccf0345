"""The geometry prior (``dgan prior``) measured: on the BAM TiO2 SEM images, and on
synthetic round trips where the truth is known.

1. ``dgan prior`` on ``../shared/data/bam-tio2-sem/images`` (images only). For the
   inferred preset and the hand-made ``tio2-sem`` preset, ``--layouts`` layouts at the
   real field size (1024 x 712 px, 7.344 nm/px): each particle's visible part
   (``prior/visible.py``, Blender-free) measured like the masks - 4-connected, off the
   border, >= 20 px (``evaluate/sizes``) - against the masks' particles: median
   equivalent-diameter error (%), Wasserstein (nm), KS, D10/50/90, and the coverage
   error (median visible fraction per image against the masks' median). The masks
   only score; nothing reads them before the prior is written.
2. Round trips: 40 images rendered (mitsuba engine, with detector noise) from each of
   two known priors unlike tio2-sem - (A) a monolayer of 120 nm spheres at coverage 0.4,
   (B) dark faceted 3-D agglomerates on a bright ground (particle sem_base below the
   substrate's) - then ``dgan prior`` with base tio2-sem; recovered next to true values.

    nice -n 5 .venv/bin/python benchmarks/prior_tio2_sem.py --out out/prior_bench
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dgan_blender.config import load_config  # noqa: E402
from dgan_blender.errors import ConfigError  # noqa: E402
from dgan_blender.evaluate.sizes import compare, coverage, instance_diameters_nm, mask_diameters_nm  # noqa: E402
from dgan_blender.geometry import generate_layout  # noqa: E402
from dgan_blender.prior.api import infer_prior  # noqa: E402
from dgan_blender.prior.reader import read_micrographs  # noqa: E402
from dgan_blender.prior.visible import visible_instances  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bam-tio2-sem"


def real_truth():
    """The masks' particles (nm) and coverage per image, cropped like the images."""
    import tifffile

    d, cov = [], []
    for m in read_micrographs(DATA / "images"):
        mask = tifffile.imread(DATA / "masks" / m.name.replace(".tif", "_m.tif"))
        mask = np.asarray(mask)[: m.image.shape[0], : m.image.shape[1]] > 0
        d.append(mask_diameters_nm(mask, m.pixel_size_nm))
        cov.append(coverage(mask))
    return np.concatenate(d), np.array(cov)


def preset_sizes(preset: str, count: int, shape=(712, 1024), px=None, seed=1000):
    """Visible diameters (nm) and visible coverage of ``count`` layouts of a preset."""
    over = [f"image.height_px={shape[0]}", f"image.width_px={shape[1]}", "particles.mesh_subdivisions=2"]
    if px:
        over.append(f"image.pixel_size_nm={px}")
    cfg = load_config(preset, over)
    d, cov = [], []
    failed = 0
    for i in range(count):
        try:
            lay = generate_layout(cfg, np.random.default_rng([seed, i]), seed + i)
        except ConfigError:  # the drawn coverage does not pack into the field
            failed += 1
            continue
        vis = visible_instances(lay)
        d.append(instance_diameters_nm(vis, cfg.image.pixel_size_nm))
        cov.append(float((vis > 0).mean()))
    if failed:
        print(f"{preset}: {failed} of {count} layouts could not be packed (left out)", flush=True)
    return np.concatenate(d), np.array(cov)


def score(name, d, cov, d_true, cov_true) -> dict:
    c = compare(d, d_true)
    row = {"preset": name, "median_error_pct": round(c["median_error_pct"], 2),
           "wasserstein_nm": round(c["wasserstein_nm"], 2), "ks": round(c["ks"], 4),
           "d10_50_90_nm": [round(c[f"d{q}_found_nm"], 1) for q in (10, 50, 90)],
           "coverage_median": round(float(np.median(cov)), 4),
           "coverage_error_pct": round(100 * (np.median(cov) / np.median(cov_true) - 1), 2),
           "n": c["n_found"]}
    print(json.dumps(row), flush=True)
    return row


# ----------------------------------------------------------------------------- round trips

TRUTHS = {
    "A_spheres_120nm_cov0.4": ("sio2-him", [
        "image.width_px=384", "image.height_px=384", "image.pixel_size_nm=4.0", "particles.kind=sphere",
        'particles.diameter={kind="lognormal", median_nm=120.0, sigma_log=0.1, min_nm=60.0, max_nm=240.0}',
        "particles.coverage=0.4", "particles.coverage_max=0.0", "agglomerates.layers=2d",
        "agglomerates.count=6",
        "particles.mesh_subdivisions=3", "render.spp=8"]),
    "B_dark_faceted_3d": ("tio2-sem", [
        "image.width_px=320", "image.height_px=320", "image.pixel_size_nm=5.0",
        'particles.diameter={kind="lognormal", median_nm=90.0, sigma_log=0.25, min_nm=40.0, max_nm=200.0}',
        "particles.coverage=0.08", "particles.coverage_max=0.25", "particles.facets=8",
        "particles.facet_depth=0.2", "particles.elongation_max=1.5",
        "particle_material.sem_base=0.1", "particle_material.sem_edge=0.12", "substrate.material.sem_base=0.55",
        "particles.mesh_subdivisions=3", "render.spp=8"]),
}


def render_truth(name, preset, over, count, out: Path):
    """``count`` rendered images (PNG, 16 bit) and the true visible sizes and coverage."""
    import cv2

    from dgan_blender.appearance.detector import apply_numpy
    from dgan_blender.bridge.sample_render import render_layout

    cfg = load_config(preset, over)
    folder = out / name / "images"
    done = out / name / "truth.npz"
    if done.exists():  # rendered by an earlier run of this script
        z = np.load(done)
        return cfg, folder, z["d"], z["cov"]
    folder.mkdir(parents=True, exist_ok=True)
    d, cov = [], []
    i = -1
    while len(cov) < count and i < 3 * count:
        i += 1
        try:
            lay = generate_layout(cfg, np.random.default_rng([77, i]), i)
        except ConfigError:
            continue
        img, inst = render_layout(lay, {})
        img = apply_numpy(np.asarray(img, np.float32),
                          {"blur_sigma_px": 0.6, "shot_gain": 0.002, "read_sigma": 0.01}, seed=i)
        cv2.imwrite(str(folder / f"{i:03d}.png"), (np.clip(img, 0, 1) * 65535).astype(np.uint16))
        d.append(instance_diameters_nm(inst, cfg.image.pixel_size_nm))
        cov.append(float((np.asarray(inst) > 0).mean()))
    np.savez(done, d=np.concatenate(d), cov=np.array(cov))
    return cfg, folder, np.concatenate(d), np.array(cov)


def round_trip(name, count, out: Path, layouts: int) -> dict:
    preset, over = TRUTHS[name]
    t0 = time.time()
    cfg, folder, d_true, cov_true = render_truth(name, preset, over, count, out)
    t1 = time.time()
    toml = out / name / "prior" / f"{name}.toml"
    meta = infer_prior(folder, toml, base="tio2-sem", pixel_size_nm=cfg.image.pixel_size_nm, seed=0,
                       layouts=layouts, log=lambda m: print(m, flush=True))
    got = load_config(str(toml))
    d_got, cov_got = preset_sizes(str(toml), count, (cfg.image.height_px, cfg.image.width_px),
                                  cfg.image.pixel_size_nm)
    c = compare(d_got, d_true)
    p, gp = cfg.particles, got.particles
    row = {
        "truth": name,
        "law_median_nm": [p.diameter.median_nm, round(gp.diameter.median_nm, 1)],
        "law_median_error_pct": round(100 * (gp.diameter.median_nm / p.diameter.median_nm - 1), 2),
        "sigma_log": [p.diameter.sigma_log, round(gp.diameter.sigma_log, 3)],
        "coverage_range": [[p.coverage, p.coverage_max], [round(gp.coverage, 4), round(gp.coverage_max, 4)]],
        "visible_median_error_pct": round(c["median_error_pct"], 2), "visible_ks": round(c["ks"], 4),
        "visible_coverage_median": [round(float(np.median(cov_true)), 4), round(float(np.median(cov_got)), 4)],
        "visible_coverage_error_pct": round(100 * (np.median(cov_got) / np.median(cov_true) - 1), 2),
        "kind": [p.kind, gp.kind], "layers": [cfg.agglomerates.layers, got.agglomerates.layers],
        "elongation": [[p.elongation_min, p.elongation_max], [gp.elongation_min, gp.elongation_max]],
        "polarity": ["dark" if name.startswith("B") else "bright", meta["polarity"]],
        "family": meta["shape_family_suggestion"],
        "render_s": round(t1 - t0, 1), "prior_s": meta["seconds"],
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "prior_bench")
    ap.add_argument("--layouts", type=int, default=30, help="layouts scored per preset")
    ap.add_argument("--calib-layouts", type=int, default=16, help="dgan prior --layouts")
    ap.add_argument("--round-trip-images", type=int, default=40)
    ap.add_argument("--skip", default="", help="comma list of: real, A, B")
    ap.add_argument("--score", action="append", default=[], metavar="NAME=PRESET",
                    help="only score these presets (a name or a TOML file, e.g. a dgan measure run's "
                         "01-prior/preset.toml or refined-preset.toml) against the masks; no inference")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.split(","))
    results = {}
    if args.score:
        d_true, cov_true = real_truth()
        results["scored"] = [score(name, *preset_sizes(preset, args.layouts), d_true, cov_true)
                             for name, preset in (item.split("=", 1) for item in args.score)]
        skip = {"real", "A", "B"}
    if "real" not in skip:
        if not (DATA / "images").is_dir():
            sys.exit(f"{DATA}: not found")
        t0 = time.time()
        meta = infer_prior(DATA / "images", args.out / "tio2-prior" / "tio2-prior.toml", base="tio2-sem",
                           seed=0, layouts=args.calib_layouts, log=lambda m: print(m, flush=True))
        print(f"prior on {meta['images']} images: {time.time() - t0:.1f} s", flush=True)
        d_true, cov_true = real_truth()  # read only now: the prior is written
        print(json.dumps({"masks": {"n": int(d_true.size), "median_nm": round(float(np.median(d_true)), 1),
                                    "coverage_median": round(float(np.median(cov_true)), 4)}}), flush=True)
        rows = []
        for name, preset in (("inferred", str(args.out / "tio2-prior" / "tio2-prior.toml")),
                             ("hand-made tio2-sem", "tio2-sem")):
            d, cov = preset_sizes(preset, args.layouts)
            rows.append(score(name, d, cov, d_true, cov_true))
        results["real"] = rows
    for key, name in (("A", "A_spheres_120nm_cov0.4"), ("B", "B_dark_faceted_3d")):
        if key not in skip:
            results[name] = round_trip(name, args.round_trip_images, args.out, args.calib_layouts)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
