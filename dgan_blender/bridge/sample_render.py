"""One data-set sample rendered by the bridge (``dgan render --engine mitsuba``): the
layout goes through Blender's scene (so what is rendered is what a .blend would hold),
is exported and rendered by Mitsuba with the sample's drawn values."""

from __future__ import annotations

import numpy as np

from ..appearance.params import param_specs, split
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
