"""Layouts of each ``particles.shape`` family: how many pack and their CPU time per
layout against the default ellipsoids, measured in one run (families interleaved per
sample, process CPU time: this shared machine's wall-clock speed swings); and how wide
the bevel of mesh triangles across a flat-faced particle's edges is per subdivision level.

    nice -n 5 .venv/bin/python benchmarks/shape_layouts.py [--samples 8] [--preset tio2-sem] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from dgan_blender.config import load_config
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.errors import ConfigError
from dgan_blender.geometry import generate_layout
from dgan_blender.geometry.meshes import particle_mesh
from dgan_blender.geometry.shapes import SHAPES, shape_fn


def layouts(preset: str, overrides: list[str], samples: int) -> None:
    cpu = {s: 0.0 for s in SHAPES}
    packed = {s: 0 for s in SHAPES}
    particles = {s: 0 for s in SHAPES}
    for i in range(samples):
        for shape in SHAPES:
            cfg = load_config(preset, [f"particles.shape={shape}", *overrides])
            seed = sample_seed(0, i)
            t = time.process_time()
            try:
                lay = generate_layout(cfg, np.random.default_rng(seed), seed)
                packed[shape] += 1
                particles[shape] += len(lay.particles)
            except ConfigError:
                pass
            cpu[shape] += time.process_time() - t
    for s in SHAPES:
        print(json.dumps({"preset": preset, "set": overrides, "shape": s, "packed": f"{packed[s]}/{samples}",
                          "particles": particles[s], "cpu_s_per_layout": round(cpu[s] / samples, 3),
                          "cpu_vs_ellipsoid": round(cpu[s] / cpu["ellipsoid"], 2)}), flush=True)


def bevel(diameter_nm: float = 170.0, seeds: int = 5) -> None:
    """Mean width (nm) of the strip of triangles that cut across a cuboid's edges: the
    area of triangles not lying in one face, over the total edge length."""
    p = load_config("tio2-sem", ["particles.shape=cuboid", "particles.elongation_max=2.5"]).particles
    for level in (3, 4, 5, 6):
        widths = []
        for seed in range(seeds):
            fn = shape_fn("cuboid", np.random.default_rng(seed), p)
            mesh, fn = particle_mesh(fn, diameter_nm, level)
            local = mesh.vertices @ np.asarray(fn["rotation"]).reshape(3, 3)
            gap = np.asarray(fn["offsets"])[None] * fn["scale"] - local @ np.asarray(fn["planes"]).T
            on = gap < 1e-6 * fn["scale"]
            tri = mesh.vertices[mesh.faces]
            area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
            flat = (on[mesh.faces[:, 0]] & on[mesh.faces[:, 1]] & on[mesh.faces[:, 2]]).any(axis=1)
            edges = 8.0 * float(np.ptp(local, axis=0).sum() / 2)  # 12 edges: 4 x (2a + 2b + 2c)
            widths.append(float(area[~flat].sum()) / edges)
        print(json.dumps({"bevel_level": level, "vertices": len(mesh.vertices), "diameter_nm": diameter_nm,
                          "edge_bevel_nm": round(float(np.mean(widths)), 2)}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--preset", default="tio2-sem")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    bevel()
    layouts(a.preset, a.set, a.samples)


if __name__ == "__main__":
    main()
