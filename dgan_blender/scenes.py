"""``dgan scene``: one procedural scene, rendered and annotated, written to a folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import annotate
from .config import SceneConfig, to_dict
from .io import to_uint8, write_json, write_png


@dataclass
class SceneResult:
    out: Path
    n_particles: int
    seconds: dict


def make_layout(cfg: SceneConfig, seed: int):
    from .geometry import generate_layout

    return generate_layout(cfg, np.random.default_rng(seed), seed)


def make_scene(cfg: SceneConfig, seed: int, out: Path) -> SceneResult:
    """Layout -> Blender scene -> Cycles render and rendered masks -> files.
    The masks and JSON depend only on (config, seed), so reruns are byte-identical."""
    from .blender.builder import build_scene
    from .blender.render import build_save_render

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = {}
    t0 = time.perf_counter()
    layout = make_layout(cfg, seed)
    t["layout_s"] = time.perf_counter() - t0

    image, instances, seconds = build_save_render(layout, out / "scene.blend", build_scene)
    t.update(seconds)

    write_scene_outputs(layout, image, instances, out)
    return SceneResult(out=out, n_particles=len(layout.particles), seconds=t)


def write_scene_outputs(layout, image: np.ndarray, instances: np.ndarray, out: Path) -> None:
    """render.png, instances.png, semantic.png, preview.png and particles.json from a
    rendered image (linear 0..1) and its instance mask; shared by every renderer that
    makes a scene (bpy here, a real Blender through the add-on)."""
    cfg, seed = layout.config, layout.seed
    image = to_uint8(image)
    write_png(out / "render.png", image)
    write_png(out / "instances.png", instances)
    write_png(out / "semantic.png", annotate.semantic_mask(instances))
    write_png(out / "preview.png", annotate.preview(image, instances))
    write_json(out / "particles.json", {
        "seed": int(seed),
        "preset": cfg.name,
        "image_px": [cfg.image.width_px, cfg.image.height_px],
        "pixel_size_nm": cfg.image.pixel_size_nm,
        "classes": {"0": "background", "1": "particle", "2": "boundary"},
        "particles": annotate.particle_table(layout, instances),
        "config": to_dict(cfg),
    })
