"""One data-set sample: its seed, its layout, its render and its annotation.

Sample i of a run seeded S depends on (S, i) alone, never on which worker renders it or
in which order, so worker counts, shards and resumed runs give identical masks.

Seed streams of sample i (all derived here):

- ``sample_seed(S, i)``: the sample's seed; the look (material values, detector noise)
  draws from ``default_rng([sample_seed, 1])`` whatever happens to the layout;
- ``layout_seed(S, i, a)``: the layout of attempt ``a``. Attempt 0 is ``sample_seed``
  (data sets rendered before redraws existed stay byte-identical); a draw whose
  particles cannot be packed is redrawn with attempt a+1, seeded from
  ``SeedSequence([S, i, a])``, up to ``MAX_LAYOUT_ATTEMPTS`` draws. The attempt used is
  saved in the particles JSON and the manifest, so the same command gives the same set.
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


# sio2-him draws failed to pack 20 in 600 (issue 14); eight failures in a row: ~1e-12
MAX_LAYOUT_ATTEMPTS = 8


def layout_seed(seed: int, index: int, attempt: int = 0) -> int:
    """31 bits like :func:`sample_seed`, which attempt 0 is."""
    if attempt == 0:
        return sample_seed(seed, index)
    ss = np.random.SeedSequence([int(seed), int(index), int(attempt)])
    return int(ss.generate_state(1, dtype=np.uint32)[0]) & 0x7FFFFFFF


def sample_layout(cfg: SceneConfig, seed: int, index: int, attempts: int = MAX_LAYOUT_ATTEMPTS):
    """(layout, attempt): the first of up to ``attempts`` draws that packs. Raises the
    last draw's :class:`~dgan_blender.geometry.PackingError`, prefixed with the sample,
    when none does; other errors are not retried (a redraw would not change them)."""
    from ..geometry import PackingError, generate_layout

    for attempt in range(attempts):
        s = layout_seed(seed, index, attempt)
        try:
            return generate_layout(cfg, np.random.default_rng(s), s), attempt
        except PackingError as exc:
            last = exc
    raise PackingError(f"sample {index}: none of {attempts} layout draws packs; last: {last}", last.what, last.n)


def render_sample(cfg: SceneConfig, seed: int, index: int, engine: str = "cycles",
                  look=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(image uint8, instances uint16, semantic uint8, particles record).

    ``look`` (a :class:`dgan_blender.dataset.look.Look` or None) turns the fitted
    parameters into this sample's material values and detector noise."""
    s = sample_seed(seed, index)
    # separate streams: the layout depends on (seed, index) alone, so a fitted and an
    # unfitted data set of one seed hold the same scenes and differ only in appearance
    rng = np.random.default_rng([s, 1])
    values = look.draw(rng) if look is not None else {}
    cfg_i = look.apply_to_config(cfg, values) if look is not None else cfg
    layout, attempt = sample_layout(cfg_i, seed, index)
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
        "layout_attempt": attempt,
        "layout_seed": int(layout.seed),
        "engine": engine,
        "preset": cfg.name,
        "pixel_size_nm": cfg.image.pixel_size_nm,
        "parameters": {k: float(v) for k, v in values.items()},
        "particles": annotate.particle_table(layout, instances),
    }
    return image8, instances, semantic, record
