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


def bare_render_seconds(cfg, count: int) -> dict[str, float]:
    """Per-image seconds of bare Mitsuba on the same scenes and spp, from their geometry
    in memory (as the engine starts from a layout in memory): ``load_and_render`` loads
    each scene (meshes, acceleration structure) and renders it - the floor for a data
    set, where every image is a new scene; ``render`` times the render call alone."""
    from .pool import build_description

    descs = [build_description(cfg, i) for i in range(count + 1)]
    MitsubaScene(descs[0], spp=cfg.render.spp).render(seed=0)  # warm: kernels, plugin
    load, render = 0.0, 0.0
    for k, desc in enumerate(descs[1:]):
        t0 = time.perf_counter()
        ms = MitsubaScene(desc, spp=cfg.render.spp)
        t1 = time.perf_counter()
        np.array(ms.render(seed=k))
        t2 = time.perf_counter()
        load, render = load + t1 - t0, render + t2 - t1
    return {"load_and_render": (load + render) / count, "render": render / count}


__all__ = ["render_layout", "engine_render_seconds", "bare_render_seconds", "torch"]
