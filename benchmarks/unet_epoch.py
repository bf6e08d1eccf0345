"""Seconds per training epoch of the segmentation U-Net on this machine's CPU, before and
after the CPU measures of `dgan train` (torch threads set explicitly, patches drawn on a
helper thread, channels_last), each variant's ratio to the old default measured in the
same run; and whether each variant's weights equal the old default's.

The data are synthetic discs drawn in memory (no rendering): the epoch's cost is the
network's, the patch draws' and the optimiser's, whatever the images show. Variants run
in alternating order, round after round, because this shared machine's speed swings
within seconds; the figure per variant is its median epoch over the rounds.

    .venv/bin/python benchmarks/unet_epoch.py [--images 4] [--size 512] [--rounds 2]

(--images 4: 2 steps of 8 patches of 256 px per epoch, about 5 min on the shared 2-core
machine under load.)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from dgan_blender.annotate import semantic_mask
from dgan_blender.evaluate.train import TrainSettings, cpu_threads, new_state, run_epoch, steps_per_epoch


def data(n: int, size: int, seed: int = 0):
    """(normalised image, semantic target) pairs of random touching discs."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = []
    for _ in range(n):
        inst = np.zeros((size, size), np.int32)
        for k in range(1, 40):
            cy, cx, r = rng.integers(0, size), rng.integers(0, size), rng.integers(8, 25)
            inst[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k
        sem = semantic_mask(inst)
        img = (sem * 60.0 + rng.normal(0, 10, sem.shape)).astype(np.float32)
        out.append(((img - img.mean()) / img.std(), sem))
    return out


def epoch_seconds(pairs, settings: TrainSettings) -> tuple[float, dict]:
    """One epoch after one untimed warm-up step (allocations, oneDNN primitives)."""
    with cpu_threads(settings.threads):
        state = new_state(settings)
        per_epoch = steps_per_epoch(pairs, settings)
        run_epoch(state, pairs, replace(settings, epochs=2), 1)
        t0 = time.perf_counter()
        run_epoch(state, pairs, replace(settings, epochs=2), per_epoch)
        seconds = time.perf_counter() - t0
    return seconds, {k: v.detach().clone() for k, v in state.model.state_dict().items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    cores = torch.get_num_threads()
    old = TrainSettings(seed=0, prefetch=False, threads=None)
    variants = {
        "old default (torch threads, no prefetch)": old,
        "prefetch": replace(old, prefetch=True),
        "threads=1": replace(old, threads=1),
        "threads=1 + prefetch": replace(old, threads=1, prefetch=True),
        "prefetch + channels_last": replace(old, prefetch=True, channels_last=True),
    }
    pairs = data(args.images, args.size)
    steps = steps_per_epoch(pairs, old)
    print(f"{args.images} images {args.size} px, patch {old.patch}, batch {old.batch}: {steps} steps per epoch; "
          f"torch threads by default {cores}")
    times: dict[str, list[float]] = {k: [] for k in variants}
    weights = {}
    names = list(variants)
    for r in range(args.rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            seconds, w = epoch_seconds(pairs, variants[name])
            times[name].append(seconds)
            weights.setdefault(name, w)
            print(f"round {r + 1}  {name}: {seconds:.2f} s", flush=True)
    base = float(np.median(times[names[0]]))
    ref = weights[names[0]]
    report = {}
    for name in names:
        med = float(np.median(times[name]))
        same = all(torch.equal(ref[k], weights[name][k]) for k in ref)
        report[name] = {"epoch_s": round(med, 2), "speed_vs_old": round(base / med, 2), "same_weights": same}
        print(f"{name:45s} {med:7.2f} s/epoch  x{base / med:.2f}  same weights: {same}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
