"""The mitsuba engine of ``dgan render``: the layout goes through Blender's scene (so
what is rendered is what a .blend would hold) and is rendered by the bridge."""

from __future__ import annotations

import time

import numpy as np
import torch

from .params import param_specs, split
from .scene import CLASSES, MitsubaScene


def render_layout(layout, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Clean image (H, W) float and instance ids (uint16)."""
    from ..blender.builder import build_scene
    from .export import describe

    cfg = layout.config
    desc = describe(build_scene(layout))
    ms = MitsubaScene(desc, spp=cfg.render.spp)
    specs = param_specs(cfg)
    full = {n: float(values.get(n, s.default)) for n, s in specs.items()}
    mats, _ = split(full)
    ms.set_materials({c: mats[c] for c in CLASSES})
    image = np.array(ms.render(seed=layout.seed), dtype=np.float32)
    return image, ms.instances()


def engine_render_seconds(cfg, count: int) -> float:
    """Per-image seconds of the engine path (Blender scene + export + bridge render)."""
    from ..geometry import generate_layout

    layouts = [generate_layout(cfg, np.random.default_rng(i), i) for i in range(count + 1)]
    render_layout(layouts[0], {})  # warm
    t0 = time.perf_counter()
    for lay in layouts[1:]:
        render_layout(lay, {})
    return (time.perf_counter() - t0) / count


def bare_render_seconds(cfg, count: int) -> float:
    """Per-image seconds of a bare Mitsuba render of the same scenes and spp (the
    scenes prepared beforehand, only ``render`` timed)."""
    from .pool import build_description

    scenes = [MitsubaScene(build_description(cfg, i), spp=cfg.render.spp) for i in range(count + 1)]
    np.array(scenes[0].render(seed=0))
    t0 = time.perf_counter()
    for k, ms in enumerate(scenes[1:]):
        np.array(ms.render(seed=k))
    return (time.perf_counter() - t0) / count


__all__ = ["render_layout", "engine_render_seconds", "bare_render_seconds", "torch"]
