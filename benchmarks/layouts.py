"""Layouts of every shipped preset through the data set's own redraw path (no render):
per preset, the fraction of samples whose first draw did not pack and needed a redraw,
the fatal failures (no draw of MAX_LAYOUT_ATTEMPTS packed: must be 0) and the layout
time per sample, redraws included (median, p95; wall clock, and CPU time of this
process, which a shared machine disturbs less). All figures from one run.

    .venv/bin/python benchmarks/layouts.py [--count 1000] [--seeds 0,1,2] [--presets tio2-sem,...]

Sample i of seed S is exactly sample i of `dgan render --seed S` (its layout does not
depend on the look, the size flags aside: give them with --set).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from dgan_blender.config import list_presets, load_config
from dgan_blender.dataset.sample import MAX_LAYOUT_ATTEMPTS, sample_layout
from dgan_blender.geometry import PackingError


def measure(preset: str, seeds: list[int], count: int, overrides: list[str]) -> dict:
    cfg = load_config(preset, overrides)
    seconds, cpu, attempts, fatal = [], [], [], []
    for seed in seeds:
        for i in range(count):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                _, attempt = sample_layout(cfg, seed, i)
                attempts.append(attempt)
            except PackingError as exc:
                fatal.append({"seed": seed, "index": i, "error": str(exc)})
            seconds.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    n = len(seconds)
    redrawn = sum(a > 0 for a in attempts)
    return {"preset": preset, "layouts": n, "seeds": seeds,
            "redraw_fraction": round(redrawn / n, 4), "redrawn": redrawn,
            "max_attempt": max(attempts, default=0), "fatal": len(fatal),
            "median_s": round(float(np.median(seconds)), 4),
            "p95_s": round(float(np.percentile(seconds, 95)), 4),
            "cpu_median_s": round(float(np.median(cpu)), 4),
            "cpu_p95_s": round(float(np.percentile(cpu, 95)), 4),
            "fatal_samples": fatal[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000, help="layouts per preset and seed")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--presets", default=",".join(list_presets()))
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="KEY=VALUE for every preset")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    print(f"{'preset':10s} {'layouts':>7s} {'redrawn':>8s} {'fraction':>8s} {'fatal':>5s} "
          f"{'median_s':>8s} {'p95_s':>7s} {'cpu_med':>7s} {'cpu_p95':>7s}  (at most {MAX_LAYOUT_ATTEMPTS} draws per sample)")
    results = []
    for preset in a.presets.split(","):
        r = measure(preset, seeds, a.count, a.overrides)
        results.append(r)
        print(f"{preset:10s} {r['layouts']:7d} {r['redrawn']:8d} {r['redraw_fraction']:8.4f} {r['fatal']:5d} "
              f"{r['median_s']:8.4f} {r['p95_s']:7.4f} {r['cpu_median_s']:7.4f} {r['cpu_p95_s']:7.4f}",
              flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
