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
from ..seeds import LOOK, MAX_LAYOUT_ATTEMPTS, layout_seed, sample_seed

__all__ = ["MAX_LAYOUT_ATTEMPTS", "layout_seed", "render_sample", "sample_layout", "sample_seed"]


def sample_layout(cfg: SceneConfig, seed: int, index: int, attempts: int = MAX_LAYOUT_ATTEMPTS):
    """(layout, attempt): the first of up to ``attempts`` draws that packs. Raises the
    last draw's :class:`~dgan_blender.geometry.PackingError`, prefixed with the sample,
    when none does; other errors are not retried (a redraw would not change them)."""
    from ..geometry import generate_layout
    from ..geometry.redraw import first_that_packs

    return first_that_packs(lambda s: generate_layout(cfg, np.random.default_rng(s), s), seed, index, attempts)


def _cycles(layout, values: dict[str, float]):
    from ..blender.builder import build_scene
    from ..blender.render import render_image, render_instances

    # the fitted gain as the bridge applies it (a look's light.gain is not a config field)
    scene = build_scene(layout, gain=values.get("light.gain", 1.0))
    instances = render_instances(scene)
    return render_image(scene), instances


def _mitsuba(layout, values: dict[str, float]):
    from ..bridge.sample_render import render_layout

    return render_layout(layout, values)


# The render engines of a data-set sample, one interface: (layout - its seed seeds the
# render -, the sample's drawn look values) -> (clean image (H, W) float 0..1, instance
# ids (H, W) uint16); the detector model is applied after, alike for both
ENGINES = {"cycles": _cycles, "mitsuba": _mitsuba}


def render_sample(cfg: SceneConfig, seed: int, index: int, engine: str = "cycles",
                  look=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(image uint8, instances uint16, semantic uint8, particles record).

    ``look`` (a :class:`dgan_blender.appearance.look.Look` or None) turns the fitted
    parameters into this sample's material values and detector noise."""
    s = sample_seed(seed, index)
    # separate streams: the layout depends on (seed, index) alone, so a fitted and an
    # unfitted data set of one seed hold the same scenes and differ only in appearance
    rng = np.random.default_rng([s, LOOK])
    values = look.draw(rng) if look is not None else {}
    cfg_i = look.apply_to_config(cfg, values) if look is not None else cfg
    layout, attempt = sample_layout(cfg_i, seed, index)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    clean, instances = ENGINES[engine](layout, values)
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
