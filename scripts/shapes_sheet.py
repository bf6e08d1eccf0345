"""docs/shapes.png: one particle of each ``particles.shape`` family, rendered by Mitsuba
with tio2-sem's shipped fitted look (mean values, no detector noise), two seeds each.

    PYTHONPATH=. python scripts/shapes_sheet.py [--out docs/shapes.png] [--level 5] [--size 128]

Each particle is 170 nm (volume-equivalent), elongation drawn from 1.0-2.5, at 3 nm/px in
a 128 px field, so the faces and edges can be judged at a few times the presets' pixel."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import cv2
import numpy as np

from dgan_blender.appearance.look import load_look
from dgan_blender.bridge.sample_render import render_layout
from dgan_blender.config import load_config
from dgan_blender.geometry.meshes import particle_mesh, translated
from dgan_blender.geometry.shapes import SHAPES, shape_fn
from dgan_blender.io import to_uint8, write_png
from dgan_blender.layout import Layout, Particle


def one(shape: str, seed: int, size: int, level: int, px: float) -> np.ndarray:
    cfg = load_config("tio2-sem", [f"image.width_px={size}", f"image.height_px={size}", f"image.pixel_size_nm={px}",
                                   f"particles.shape={shape}", "particles.elongation_max=2.5",
                                   f"particles.mesh_subdivisions={level}", "render.spp=64"])
    fn = shape_fn(shape, np.random.default_rng(seed), cfg.particles)
    mesh, fn = particle_mesh(fn, 170.0, level)
    w, h = cfg.field_nm
    centre = np.array([w / 2, h / 2, -mesh.vertices[:, 2].min()])
    lay = Layout(cfg, seed, [Particle(1, "irregular", centre, 170.0, translated(mesh, centre), radius_fn=fn)])
    look = load_look(None, cfg)
    values = {n: p.value for n, p in look.parameters.items() if not n.startswith("noise.")} if look else {}
    lay.config = copy.deepcopy(look.apply_to_config(cfg, values)) if look else cfg
    img, _ = render_layout(lay, values)
    return to_uint8(np.clip(np.asarray(img, np.float32), 0, 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/shapes.png")
    ap.add_argument("--level", type=int, default=5)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--px", type=float, default=3.0)
    a = ap.parse_args()
    rows = []
    for seed in (1, 2):
        tiles = []
        for shape in SHAPES:
            t = np.ascontiguousarray(one(shape, seed, a.size, a.level, a.px))
            if seed == 1:
                cv2.putText(t, shape, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1, cv2.LINE_AA)
            tiles.append(np.pad(t, 1, constant_values=255))
        rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    write_png(Path(a.out), sheet)
    print(f"{a.out}: {sheet.shape[1]}x{sheet.shape[0]} px, {len(SHAPES)} families x 2 seeds, level {a.level}")


if __name__ == "__main__":
    main()
