"""Synthetic-only against real-trained segmentation on the BAM TiO2 SEM micrographs.

One run, one network, one budget, one fixed split (20 annotated images train the real
baseline, 10 are the test set of every row):

  (a) trained on the 20 real annotated training images;
  (b) trained on a synthetic set rendered with the preset's unfitted parameters;
  (c) trained on a synthetic set rendered after ``dgan fit`` on the 20 training images
      (their images only, never their masks).

Everything is made in the run unless given: (b) is ``dgan render --unfitted``; (c) is
``dgan render`` with ``--params`` (a ``dgan fit`` run's params.toml), or with the fit
this run makes first when ``--fit-iters`` is given, or else with the preset's shipped
fitted values - which the script accepts only if their record says they were fitted with
this split's test images held out. Prints the table and the ratios (b)/(a), (c)/(a).

``--preset`` renders (b) and (c) from another preset in place of the hand-made
``tio2-sem`` - a ``dgan prior`` output or a ``dgan measure`` run's
``refined-preset.toml`` (their [fitted] look is tio2-sem's, kept by the prior for a base
of the same polarity): the same look, another geometry.

    nice -n 5 .venv/bin/python benchmarks/tio2_sem.py [--epochs 14] [--fit-iters 1800] [--preset FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dgan_blender.evaluate.run import evaluate  # noqa: E402
from dgan_blender.evaluate.train import TrainSettings  # noqa: E402
from dgan_blender.io import write_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bam-tio2-sem"
# Every third image (sorted) is a test image: spread over the acquisition session.
TRAIN = ["1908250", "1908254", "1908258", "1908260", "1908266", "1908272", "1908276",
         "1908278", "1908282", "1908284", "1908288", "1908290", "1908294", "1908298",
         "1908308", "1908312", "1908316", "1908318", "1908322", "1908324"]
TEST = ["1908256", "1908262", "1908274", "1908280", "1908286", "1908292", "1908300",
        "1908314", "1908320", "1908326"]
COLUMNS = ("dsc", "ap50", "pq", "ap50_min20", "pq_min20")
# --fit-iters fits as the shipped fit was made (see the preset's [fitted.meta] command)
FIT_RECIPE = ["--fix", "noise.texture_coarse"]


def render(args, out: Path, extra: list[str]) -> Path:
    """A synthetic training set from ``dgan render`` (resumes if the folder is partly done)."""
    cmd = [sys.executable, str(ROOT / "cli.py"), "render", "--preset", str(args.preset), "--count", str(args.count),
           "--seed", str(args.seed), "--workers", str(args.workers), "--out", str(out), *extra]
    print("---", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    return out


def shipped_fit_checked(preset: str) -> list[str]:
    """The preset's shipped fit may serve (c) only if it never saw this split's test images."""
    from dgan_blender.config import load_config
    from dgan_blender.appearance.look import load_look

    look = load_look(None, load_config(preset))
    meta = look.meta if look else {}
    held = {s.strip() for s in str(meta.get("heldout", "")).split(",")}
    if not set(TEST) <= held:
        raise SystemExit(f"tio2_sem: {preset}: the preset's [fitted] values do not record this split's test images as "
                         "held out; pass --fit-iters N (fit here) or --params RUN/params.toml")
    print(f"--- (c) uses the preset's shipped fit: {meta.get('command')} (test images held out)", flush=True)
    return []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the bam-tio2-sem folder (read in place)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "tio2_sem")
    ap.add_argument("--epochs", type=int, default=14, help="epochs per row (an epoch covers the training pixels once: ~28 steps for (a), 25 for 200 synthetic images)")
    ap.add_argument("--time-limit", type=float, default=16.0, help="cap in minutes per training (same for every row)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", default="tio2-sem", help="the preset (name or TOML file) rows (b), (c) render")
    ap.add_argument("--synthetic-unfitted", type=Path, default=None,
                    help="(b) an existing 'dgan render --unfitted' set (default: rendered here)")
    ap.add_argument("--synthetic-fitted", type=Path, default=None,
                    help="(c) an existing 'dgan render' set after 'dgan fit' (default: rendered here)")
    ap.add_argument("--params", type=Path, default=None, help="(c) params.toml of a 'dgan fit' on the training images")
    ap.add_argument("--fit-iters", type=int, default=None,
                    help="(c) run the fit here first (benchmarks/fit_tio2_sem.py), this many iterations (1800: ~18 min here)")
    ap.add_argument("--count", type=int, default=200, help="samples per synthetic set rendered here")
    ap.add_argument("--workers", type=int, default=2, help="render workers")
    ap.add_argument("--skip-real", action="store_true", help="do not train row (a) (ratios need it)")
    ap.add_argument("--skip-unfitted", action="store_true", help="do not train row (b)")
    ap.add_argument("--skip-fitted", action="store_true", help="do not train row (c)")
    args = ap.parse_args(argv)
    if not (args.data / "images").is_dir():
        print(f"tio2_sem: {args.data}: data set not found; pass --data", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    made = {}
    if not args.skip_unfitted and args.synthetic_unfitted is None:
        args.synthetic_unfitted = render(args, args.out / "data_unfitted", ["--unfitted"])
        made["unfitted_render_min"] = round((time.perf_counter() - t_start) / 60, 2)
    if not args.skip_fitted and args.synthetic_fitted is None:
        t = time.perf_counter()
        if args.fit_iters is not None:
            run = args.out / "fit"
            from fit_tio2_sem import main as fit_main
            fit_main(["--data", str(args.data / "images"), "--out", str(run), "--iters", str(args.fit_iters),
                      "--seed", str(args.seed), *FIT_RECIPE])
            args.params = run / "params.toml"
        extra = ["--params", str(args.params)] if args.params else shipped_fit_checked(args.preset)
        args.synthetic_fitted = render(args, args.out / "data_fitted", extra)
        made["fit_and_render_min"] = round((time.perf_counter() - t) / 60, 2)
    rows = []
    if not args.skip_real:
        rows.append(("a", "real annotations (20 images)", args.data, TRAIN))
    if not args.skip_unfitted:
        rows.append(("b", "synthetic, unfitted preset", args.synthetic_unfitted, None))
    if not args.skip_fitted:
        rows.append(("c", "synthetic, after dgan fit", args.synthetic_fitted, None))
    settings = TrainSettings(epochs=args.epochs, seed=args.seed,
                             time_limit_s=None if args.time_limit is None else args.time_limit * 60)
    results = {}
    for key, label, train_dir, names in rows:
        print(f"--- ({key}) {label}: {train_dir}", flush=True)
        m = evaluate(train_dir, args.data, args.out / key, settings, train_names=names,
                     test_names=TEST, log=lambda msg: print("   ", msg, flush=True))
        results[key] = {"label": label, "train": str(train_dir), "epochs_run": m["epochs_run"],
                        "train_seconds": m["train_seconds"], **{c: m[c] for c in COLUMNS}}
    lines = [f"| row | training data | {' | '.join(COLUMNS)} | epochs | train min |",
             "|---|---|" + "---|" * (len(COLUMNS) + 2)]
    for key, r in results.items():
        vals = " | ".join(f"{r[c]:.3f}" for c in COLUMNS)
        lines.append(f"| ({key}) | {r['label']} | {vals} | {r['epochs_run']} | {r['train_seconds'] / 60:.1f} |")
    for key in ("b", "c"):
        if key in results and "a" in results:
            ratio = {c: results[key][c] / results["a"][c] if results["a"][c] else float("nan") for c in COLUMNS}
            results[f"{key}/a"] = ratio
            lines.append(f"| ({key})/(a) | ratio | " + " | ".join(f"{ratio[c]:.3f}" for c in COLUMNS) + " | | |")
    table = "\n".join(lines)
    print(f"\nTiO2 SEM, preset {args.preset}, test = {len(TEST)} real images, seed {args.seed}, epochs {args.epochs}"
          f"{'' if args.time_limit is None else f', limit {args.time_limit:g} min'}\n{table}")
    total = (time.perf_counter() - t_start) / 60
    print(f"total {total:.1f} min (data: {made or 'given'})")
    write_json(args.out / "results.json", {"preset": str(args.preset), "seed": args.seed, "epochs": args.epochs, "total_min": round(total, 2),
                                           "made": made, "params": str(args.params or "preset [fitted]"),
                                           "time_limit_min": args.time_limit, "test": TEST,
                                           "train": TRAIN, "results": results, "table": table})
    return 0


if __name__ == "__main__":
    sys.exit(main())
