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
    return ms.render_and_instances(seed=layout.seed)


def engine_vs_bare_seconds(cfg, count: int, rounds: int = 3) -> dict[str, float]:
    """Median per-image seconds of the engine path (Blender scene + export + bridge
    render + instance ids, from a layout in memory) and of bare Mitsuba on the same
    scenes and spp from their geometry in memory: ``load_and_render`` loads each scene
    (meshes, acceleration structure) and renders it - the floor for a data set, where
    every image is a new scene; ``render`` is the render call alone. The two paths
    alternate image by image, so a busy spell of the machine hits both alike."""
    from ..blender.builder import build_scene
    from ..geometry import generate_layout
    from .export import describe

    layouts = [generate_layout(cfg, np.random.default_rng(i), i) for i in range(count)]
    descs = [describe(build_scene(lay)) for lay in layouts]
    for lay, desc in zip(layouts[:2], descs[:2]):  # warm: kernels, plugin, Blender
        render_layout(lay, {})
        np.array(MitsubaScene(desc, spp=cfg.render.spp).render(seed=0))
    times: dict[str, list[float]] = {"engine": [], "load_and_render": [], "render": []}
    for _ in range(rounds):
        for k, (lay, desc) in enumerate(zip(layouts, descs)):
            t0 = time.perf_counter()
            render_layout(lay, {})
            t1 = time.perf_counter()
            ms = MitsubaScene(desc, spp=cfg.render.spp)
            t2 = time.perf_counter()
            np.array(ms.render(seed=k))
            t3 = time.perf_counter()
            times["engine"].append(t1 - t0)
            times["load_and_render"].append(t3 - t1)
            times["render"].append(t3 - t2)
    return {k: float(np.median(v)) for k, v in times.items()}


__all__ = ["render_layout", "engine_vs_bare_seconds", "torch"]
