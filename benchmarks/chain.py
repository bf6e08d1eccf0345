"""Wall time of each stage of the user's chain (prior, fit, render, train, segment, report)
for N micrographs, beside the budget table's estimate for the run's budget.

Runs `dgan measure` (the command a user types, in its own process; the whole command is
timed too) or reads a finished run folder. Stage times are those the stages' done.json
markers recorded (``dgan_blender/measure/stages.py``); a stage marked "resumed" recorded
only its last attempt. The estimates are the budget table's (``measure/budget.py``):
its minutes at 60, scaled by the run's counts, and the fixed figures its comment gives
for the prior, segmenting 30 micrographs and the report.

    .venv/bin/python benchmarks/chain.py --real DIR --out RUN [--budget-minutes 60] [--preset NAME] [--pixel-size NM]
    .venv/bin/python benchmarks/chain.py --from-run RUN
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from dgan_blender.measure.budget import TABLE
from dgan_blender.measure.stages import MARKER, STAGES

# budget.py's comment, not in its table: prior ~2-5 min (0 when a preset is given: the
# stage only copies it), segmenting 30 images ~3 min, the report < 1 min
PRIOR_MIN, SEGMENT_MIN_PER_30, REPORT_MIN = 3.5, 3.0, 1.0


def _table_minutes(field: str) -> float:
    """The '~N min' of a budget table note: that field's stage minutes at 60 min."""
    found = re.search(r"~([\d.]+) min", TABLE[field][3])
    if not found:
        raise ValueError(f"budget table note of {field} has no '~N min': {TABLE[field][3]!r}")
    return float(found.group(1))


def estimates(budget: dict, n_images: int, prior_given: bool) -> dict[str, float]:
    """Minutes per stage the budget table predicts for ``budget`` (RUN/run.json's) and
    ``n_images`` micrographs: each table figure scaled by the run's count over the
    table's; training time grows with epochs and with the synthetic images per epoch."""
    def ratio(field: str) -> float:
        return budget[field] / TABLE[field][0]

    return {
        "prior": 0.0 if prior_given else PRIOR_MIN,
        "fit": _table_minutes("fit_iters") * ratio("fit_iters") * budget.get("fit_tries", 1)
        + _table_minutes("fit_pool") * ratio("fit_pool"),
        "render": _table_minutes("synthetic_images") * ratio("synthetic_images"),
        "train": _table_minutes("train_epochs") * ratio("train_epochs") * ratio("synthetic_images"),
        "segment": SEGMENT_MIN_PER_30 * n_images / 30.0,
        "report": REPORT_MIN,
    }


def read_run(run: Path) -> dict:
    """Every stage's recorded seconds and the run's budget; missing stages are None."""
    run = Path(run)
    record = json.loads((run / "run.json").read_text())
    stages = {}
    for s in STAGES:
        marker = run / s.folder / MARKER
        stages[s.name] = json.loads(marker.read_text()) if marker.exists() else None
    segment = stages.get("segment") or {}
    n_images = (segment.get("record") or {}).get("n_images")
    if n_images is None:  # unfinished run: count the micrographs it reads
        real = Path(record["real"])
        n_images = sum(1 for p in real.iterdir() if p.suffix.lower() in (".tif", ".tiff", ".png")) \
            if real.is_dir() else 0
    return {"record": record, "stages": stages, "n_images": int(n_images)}


def chain_table(run: Path, command_s: float | None = None) -> tuple[str, dict]:
    """The printed table and its figures as a dict."""
    got = read_run(run)
    budget = got["record"]["budget"]
    est = estimates(budget, got["n_images"], got["record"].get("preset") is not None)
    rows, lines = {}, []
    lines.append(f"chain for {got['n_images']} micrographs, budget {budget['minutes']:g} min, run {run}")
    lines.append(f"{'stage':10s} {'wall':>9s} {'estimate':>9s} {'wall/est':>8s}  note")
    for s in STAGES:
        m = got["stages"][s.name]
        secs = None if m is None else float(m["seconds"])
        e = est[s.name] * 60.0
        note = "not finished" if m is None else ("resumed: last attempt only" if m.get("resumed") else "")
        ratio = f"{secs / e:8.2f}" if secs is not None and e > 0 else f"{'-':>8s}"
        lines.append(f"{s.name:10s} {_fmt(secs)} {_fmt(e)} {ratio}  {note}")
        rows[s.name] = {"seconds": secs, "estimate_s": round(e, 1), "resumed": bool(m and m.get("resumed"))}
    done = [r["seconds"] for r in rows.values() if r["seconds"] is not None]
    total, total_est = sum(done), sum(r["estimate_s"] for r in rows.values())
    lines.append(f"{'total':10s} {_fmt(total)} {_fmt(total_est)} {total / total_est:8.2f}  "
                 f"sum of the stages{'' if len(done) == len(STAGES) else ' finished so far'}")
    if command_s is not None:
        lines.append(f"{'command':10s} {_fmt(command_s)} {_fmt(budget['minutes'] * 60)} "
                     f"{command_s / (budget['minutes'] * 60):8.2f}  whole `dgan measure` against its budget")
    figures = {"n_images": got["n_images"], "budget_minutes": budget["minutes"], "stages": rows,
               "total_s": round(total, 1), "total_estimate_s": round(total_est, 1),
               "command_s": None if command_s is None else round(command_s, 1)}
    return "\n".join(lines), figures


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return f"{'-':>9s}"
    return f"{seconds / 60:7.2f} m" if seconds >= 60 else f"{seconds:7.1f} s"


def run_measure(args) -> float:
    """`dgan measure` as a user runs it; its wall time."""
    cmd = [sys.executable, "-m", "dgan_blender", "measure", "--real", str(args.real), "--out", str(args.out),
           "--budget-minutes", str(args.budget_minutes), "--seed", str(args.seed)]
    if args.preset:
        cmd += ["--preset", args.preset]
    if args.pixel_size:
        cmd += ["--pixel-size", str(args.pixel_size)]
    if args.resume:
        cmd += ["--resume"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd)
    seconds = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"chain: `dgan measure` exited {done.returncode}; the stages finished so far:\n"
                 + chain_table(args.out)[0])
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-run", type=Path, help="read this finished (or partial) run folder instead of running")
    ap.add_argument("--real", type=Path, help="micrographs for `dgan measure --real`")
    ap.add_argument("--out", type=Path, help="run folder for `dgan measure --out`")
    ap.add_argument("--budget-minutes", type=float, default=60.0)
    ap.add_argument("--preset", default=None)
    ap.add_argument("--pixel-size", type=float, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    if args.from_run:
        if not (args.from_run / "run.json").exists():
            ap.error(f"--from-run {args.from_run}: no run.json; give a `dgan measure --out` folder")
        text, figures = chain_table(args.from_run)
    else:
        if not (args.real and args.out):
            ap.error("give --from-run RUN, or --real DIR and --out RUN to run `dgan measure`")
        seconds = run_measure(args)
        text, figures = chain_table(args.out, seconds)
    print(text)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
