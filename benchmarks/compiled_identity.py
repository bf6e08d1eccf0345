"""The compiled layout path against the numpy one, sample by sample: the same particle
counts and cluster labels, and how far vertices and centres moved (the identity the
layout tests ask for: at most 1e-9 nm). Both paths run in this process, switched by
``compiled.use``; the numpy path is main's code, unchanged.

    .venv/bin/python benchmarks/compiled_identity.py [--samples 30] [--seeds 0,1] [--presets ...] [--set k=v]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from dgan_blender.config import load_config
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.geometry import compiled, generate_layout

sys.path.insert(0, str(Path(__file__).resolve().parent))
from layout_speed import layout_arrays, same_arrays  # noqa: E402


def compare(a, b) -> tuple[bool, float]:
    """``layout_speed.same_arrays`` of the two layouts, faces and drawn diameters too."""
    same, worst = same_arrays(layout_arrays(a), layout_arrays(b))
    same &= all(np.array_equal(p.mesh.faces, q.mesh.faces) and p.diameter_nm == q.diameter_nm
                for p, q in zip(a.particles, b.particles))
    return bool(same), worst


def layout(cfg, seed: int, index: int, on: bool):
    s = sample_seed(seed, index)
    with compiled.use(on):
        rng = np.random.default_rng(s)
        lay = generate_layout(cfg, rng, s)
        return lay, rng.random()  # the generator's next draw: the same draws were made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--presets", default="tio2-sem,sio2-him,agnw-sem,tio2-tsem")
    ap.add_argument("--set", action="append", default=[], help="a config override for every preset, e.g. "
                    "particles.shape=cuboid (repeatable)")
    args = ap.parse_args()
    bad = 0
    for preset in args.presets.split(","):
        cfg = load_config(preset, list(args.set))
        for seed in map(int, args.seeds.split(",")):
            worst, mismatched, t_np, t_c = 0.0, [], 0.0, 0.0
            for i in range(args.samples):
                t0 = time.perf_counter()
                ref, next_ref = layout(cfg, seed, i, False)
                t1 = time.perf_counter()
                new, next_new = layout(cfg, seed, i, True)
                t_np, t_c = t_np + t1 - t0, t_c + time.perf_counter() - t1
                same, diff = compare(ref, new)
                if not same or diff > 1e-9 or next_ref != next_new:
                    mismatched.append((i, same, diff))
                worst = max(worst, diff)
            bad += len(mismatched)
            print(f"{preset:9s} seed {seed}: {args.samples - len(mismatched)}/{args.samples} same "
                  f"(counts, labels, draws), max abs vertex/centre difference {worst:.3g} nm; "
                  f"numpy {t_np:.2f} s, compiled {t_c:.2f} s" + (f"; differ: {mismatched}" if mismatched else ""),
                  flush=True)
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
