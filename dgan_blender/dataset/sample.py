"""One data-set sample: its seed, its layout, its render and its annotation.

Sample i of a run seeded S depends on (S, i) alone, never on which worker renders it or
in which order, so worker counts, shards and resumed runs give identical masks.
"""

from __future__ import annotations

import numpy as np

from .. import annotate
from ..config import SceneConfig
from ..io import to_uint8


def sample_seed(seed: int, index: int) -> int:
    """31 bits, so Blender can store it as an integer property."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(1, dtype=np.uint32)[0]
    return int(state) & 0x7FFFFFFF


def render_sample(cfg: SceneConfig, seed: int, index: int, engine: str = "cycles",
                  look=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(image uint8, instances uint16, semantic uint8, particles record).

    ``look`` (a :class:`dgan_blender.dataset.look.Look` or None) turns the fitted
    parameters into this sample's material values and detector noise."""
    from ..geometry import generate_layout

    s = sample_seed(seed, index)
    # separate streams: the layout depends on (seed, index) alone, so a fitted and an
    # unfitted data set of one seed hold the same scenes and differ only in appearance
    rng = np.random.default_rng([s, 1])
    values = look.draw(rng) if look is not None else {}
    cfg_i = look.apply_to_config(cfg, values) if look is not None else cfg
    layout = generate_layout(cfg_i, np.random.default_rng(s), s)
    if engine == "cycles":
        from ..blender.builder import build_scene
        from ..blender.render import render_image, render_instances

        scene = build_scene(layout)
        instances = render_instances(scene)
        clean = render_image(scene)
    elif engine == "mitsuba":
        from ..bridge.dataset import render_layout  # the bridge's render engine path

        clean, instances = render_layout(layout, values)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    image = look.detector(clean, values, rng) if look is not None else clean
    image8 = to_uint8(image)
    semantic = annotate.semantic_mask(instances)
    record = {
        "index": int(index),
        "seed": int(seed),
        "sample_seed": s,
        "engine": engine,
        "preset": cfg.name,
        "pixel_size_nm": cfg.image.pixel_size_nm,
        "parameters": {k: float(v) for k, v in values.items()},
        "particles": annotate.particle_table(layout, instances),
    }
    return image8, instances, semantic, record
