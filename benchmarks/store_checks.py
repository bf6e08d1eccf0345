"""What the data set's integrity checks cost: recording a PNG's size and CRC-32 when a
sample is written (against encoding that PNG), and, on a rerun, the stat-based manifest
repair and the full ``--verify`` read of N small samples. Prints figures measured in
this one run."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from dgan_blender.annotate import semantic_mask
from dgan_blender.dataset.store import DatasetStore, checksum
from dgan_blender.io import encode_png


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--size", type=int, default=512)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    img = (rng.random((args.size, args.size)) * 255).astype(np.uint8)  # noise: a large PNG
    data = encode_png(img)
    t = time.perf_counter()
    for _ in range(20):
        encode_png(img)
    enc = (time.perf_counter() - t) / 20
    t = time.perf_counter()
    for _ in range(200):
        checksum(data)
    crc = (time.perf_counter() - t) / 200
    print(f"{args.size} px noise PNG, {len(data)} bytes: encode {enc * 1e3:.2f} ms, "
          f"size + CRC-32 {crc * 1e3:.3f} ms ({crc / enc:.1%} of the encode)")
    with tempfile.TemporaryDirectory() as tmp:
        store = DatasetStore(Path(tmp))
        store.prepare()
        inst = np.zeros((8, 8), np.uint16)
        inst[2:4, 2:4] = 1
        for i in range(args.samples):
            store.write_sample(i, np.zeros((8, 8), np.uint8), inst, semantic_mask(inst),
                               {"seed": 0, "particles": [{"id": 1}]})
        store.repair_manifest(args.samples)
        t = time.perf_counter()
        store.repair_manifest(args.samples)
        rep = time.perf_counter() - t
        t = time.perf_counter()
        bad = store.verify(range(args.samples))
        ver = time.perf_counter() - t
    print(f"{args.samples} samples: rerun's manifest repair (stat) {rep:.3f} s, "
          f"--verify (read + CRC-32) {ver:.3f} s, bad {len(bad)}")


if __name__ == "__main__":
    main()
