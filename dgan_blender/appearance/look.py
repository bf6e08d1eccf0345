"""The fitted look of a data set: ``params.toml`` (from ``dgan fit``) or a preset's
shipped ``[fitted]`` table, turned into per-sample values.

Each parameter has a value (its mean over layouts) and a spread (its standard deviation
over layouts, as the fit learned it); every sample draws its own values inside the
parameter's bounds, so per-image variation survives into the data set.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import SceneConfig
from ..errors import DganError
from ..params_file import load_params, validate

@dataclass
class Parameter:
    value: float
    spread: float = 0.0
    low: float = -math.inf
    high: float = math.inf


@dataclass
class Look:
    parameters: dict[str, Parameter] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def draw(self, rng: np.random.Generator) -> dict[str, float]:
        """One sample's values: normal around the value with the learned spread, clipped."""
        out = {}
        for name in sorted(self.parameters):
            p = self.parameters[name]
            v = p.value + p.spread * rng.standard_normal() if p.spread > 0 else p.value
            out[name] = float(np.clip(v, p.low, p.high))
        return out

    def apply_to_config(self, cfg: SceneConfig, values: dict[str, float]) -> SceneConfig:
        """Material values (``particle.sem_base``...) go into a copy of the config."""
        cfg = copy.deepcopy(cfg)
        for name, v in values.items():
            group, _, attr = name.partition(".")
            if group == "particle":
                setattr(cfg.particle_material, attr, v)
            elif group == "substrate":
                setattr(cfg.substrate.material, attr, v)
        return cfg

    def detector(self, image: np.ndarray, values: dict[str, float], rng: np.random.Generator) -> np.ndarray:
        """The same noise/detector model as the fit, applied to a clean render."""
        noise = {k.partition(".")[2]: v for k, v in values.items() if k.startswith("noise.")}
        if not noise:
            return image
        from .detector import apply_numpy

        return apply_numpy(image, noise, int(rng.integers(2**31)))


def _look(parameters: dict, meta: dict) -> Look:
    return Look({n: Parameter(**e) for n, e in parameters.items()}, meta)


def load_look(params: Path | None, cfg: SceneConfig | None) -> Look | None:
    """``params`` file if given, else the preset's shipped ``[fitted]`` table, else None.
    Both are validated for ``cfg`` (see :mod:`dgan_blender.params_file`); a file given
    without ``cfg`` is checked against the preset it was fitted for."""
    if params is not None:
        return _look(*load_params(Path(params), cfg))
    if cfg is None or "parameters" not in cfg.fitted:
        return None
    # the preset's own table, read with it: its meta names the preset it was first fitted
    # as, which a renamed copy of the preset file keeps, so the name is not compared here
    return _look(*validate(cfg.fitted, f"preset {cfg.name} [fitted]", cfg, check_preset=False))
