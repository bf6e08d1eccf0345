"""Calibration layouts seen as micrographs: rendered (the bridge's Mitsuba engine) with
the base preset's look and detector model, then measured by exactly the pipeline the
real images went through - threshold, background trend, polarity and all.

The Blender-free calibration compares binary footprints, which carry none of what a
micrograph adds: the SEM's shadowing darkens the ground next to particles (a dark halo
that a threshold joins to dark particles), edge glow, blur and noise. On a rendered
round trip (dark faceted particles, ``benchmarks/prior_tio2_sem.py``) the binary
calibration left the visible median 31 % too large; those effects are what this
removes. Imports Blender and Mitsuba only when called.
"""

from __future__ import annotations

import numpy as np

from . import foreground as fgm
from .segments import measure


class Renderer:
    """Callable: (config, layouts) -> ``segments.Measured`` per layout."""

    def __init__(self, look, sign: float, radius_px: float, seams: bool, spp: int = 8, seed: int = 0):
        self.look, self.sign, self.radius_px, self.seams = look, sign, radius_px, seams
        self.spp, self.seed = spp, seed

    def __call__(self, cfg, layouts) -> list:
        import copy

        try:
            from ..bridge.sample_render import render_layout
        except ImportError as exc:
            from ..errors import DganError

            raise DganError(f"cannot render the calibration images ({exc}); run 'dgan doctor', or calibrate "
                            "without rendering: dgan prior --no-render") from None
        from .segments import crevices

        rng = np.random.default_rng([self.seed, 23])
        preps = []
        for lay in layouts:
            values = self.look.draw(rng) if self.look else {}
            lay = copy.copy(lay)
            lay.config = copy.deepcopy(self.look.apply_to_config(lay.config, values) if self.look else lay.config)
            lay.config.render.spp = self.spp
            img, _ = render_layout(lay, values)
            img = np.asarray(img, np.float32)
            if self.look:
                img = self.look.detector(img, values, rng)
            preps.append(fgm.prepared(np.clip(img, 0, 1), self.sign))
        thr = fgm.pooled_threshold(preps)
        out = []
        for p in preps:
            fg = fgm.foreground(p, thr)
            cuts = crevices(p, fg, self.radius_px) if self.seams else None
            out.append(measure(fg, self.radius_px, cuts=cuts))
        return out
