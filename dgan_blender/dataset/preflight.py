"""Refuse a configuration whose layouts mostly cannot be built, before any work starts.

A single draw that does not pack is redrawn per sample (:func:`sample.sample_layout`);
only settings for which most draws fail are the user's error. That is decided here, on
the driver, from a few layouts (no render), so the message is one line, comes before
any worker starts, and names a value that does pack.
"""

from __future__ import annotations

import copy

from ..config import SceneConfig
from ..errors import ConfigError
from ..geometry import PackingError, check_particle_limit, generate_layout
from ..seeds import sample_seed

PROBES = 3
HALVINGS = 8


def check_layouts(cfg: SceneConfig, seed: int, probes: int = PROBES) -> None:
    """Raises ConfigError when the particle count exceeds the ceiling, or when most of
    the first ``probes`` samples' first layout draws cannot be packed."""
    import numpy as np

    check_particle_limit(cfg)
    failed = _failures(cfg, seed, probes, np)
    if failed * 2 <= probes:
        return
    field, value = _describe(cfg, 1.0)
    w, h = cfg.field_nm
    hint = "; no value down to 1/256 of it packs"
    for k in range(1, HALVINGS + 1):
        smaller = _scaled(cfg, 0.5 ** k)
        if smaller is None:
            break
        if _failures(smaller, seed, probes, np, need_all=True) == 0:
            hint = f"; {field}={_describe(cfg, 0.5 ** k)[1]} packs {probes} of {probes}"
            break
    raise ConfigError(f"{field}={value}: {failed} of {probes} layouts cannot be packed into the "
                      f"{w:.0f}x{h:.0f} nm field{hint}; lower it or enlarge image.width_px/height_px")


def _failures(cfg: SceneConfig, seed: int, probes: int, np, need_all: bool = False) -> int:
    """Failed probes. The decision is only whether they are most (or, ``need_all``, any)
    of them, so the count stops once enough layouts pack to settle it: with 3 probes two
    that pack decide, and the third is not built (the driver builds these while the
    workers wait). Failures are all counted: the message says how many."""
    failed = 0
    for i in range(probes):
        s = sample_seed(seed, i)  # sample i's own first draw: the data set's layout
        try:
            generate_layout(cfg, np.random.default_rng(s), s)
        except PackingError:
            failed += 1
            if need_all:
                return failed
        if not need_all and (i + 1 - failed) * 2 >= probes:
            return failed  # most can no longer fail
    return failed


def _describe(cfg: SceneConfig, f: float) -> tuple[str, str]:
    p = cfg.particles
    if p.count > 0:
        return "particles.count", str(max(1, int(p.count * f)))
    if p.coverage_max > p.coverage:
        return "particles.coverage..coverage_max", f"{p.coverage * f:.3g}..{p.coverage_max * f:.3g}"
    return "particles.coverage", f"{p.coverage * f:.3g}"


def _scaled(cfg: SceneConfig, f: float) -> SceneConfig | None:
    p = cfg.particles
    if p.count > 0 and int(p.count * f) < 1:
        return None
    out = copy.deepcopy(cfg)
    if p.count > 0:
        out.particles.count = int(p.count * f)
    else:
        out.particles.coverage = p.coverage * f
        if p.coverage_max > p.coverage:
            out.particles.coverage_max = p.coverage_max * f
    return out
