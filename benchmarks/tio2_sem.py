"""Synthetic-only against real-trained segmentation on the BAM TiO2 SEM micrographs.

One run, one network, one budget, one fixed split (20 annotated images train the real
baseline, 10 are the test set of every row):

  (a) trained on the 20 real annotated training images;
  (b) trained on a synthetic set rendered with the preset's unfitted parameters;
  (c) trained on a synthetic set rendered after ``dgan fit`` on the 20 training images
      (their images only, never their masks).

(b) and (c) need data sets made beforehand (``dgan render`` / ``dgan fit``); rows whose
folder is not given are skipped. Prints the table and the ratios (b)/(a), (c)/(a).

    nice -n 10 .venv/bin/python benchmarks/tio2_sem.py --epochs 10 --time-limit 15 \\
        [--synthetic-unfitted DIR] [--synthetic-fitted DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the bam-tio2-sem folder (read in place)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "tio2_sem")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=None, help="minutes per training (same for every row)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--synthetic-unfitted", type=Path, default=None, help="(b) 'dgan render' with the unfitted preset")
    ap.add_argument("--synthetic-fitted", type=Path, default=None, help="(c) 'dgan render --params' after 'dgan fit'")
    ap.add_argument("--skip-real", action="store_true", help="do not train row (a) (ratios need it)")
    args = ap.parse_args(argv)
    if not (args.data / "images").is_dir():
        print(f"tio2_sem: {args.data}: data set not found; pass --data", file=sys.stderr)
        return 2
    rows = []
    if not args.skip_real:
        rows.append(("a", "real annotations (20 images)", args.data, TRAIN))
    if args.synthetic_unfitted:
        rows.append(("b", "synthetic, unfitted preset", args.synthetic_unfitted, None))
    if args.synthetic_fitted:
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
    print(f"\nTiO2 SEM, test = {len(TEST)} real images, seed {args.seed}, epochs {args.epochs}"
          f"{'' if args.time_limit is None else f', limit {args.time_limit:g} min'}\n{table}")
    write_json(args.out / "results.json", {"seed": args.seed, "epochs": args.epochs,
                                           "time_limit_min": args.time_limit, "test": TEST,
                                           "train": TRAIN, "results": results, "table": table})
    return 0


if __name__ == "__main__":
    sys.exit(main())
