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

from ..config import SceneConfig, preset_path, read_toml
from ..errors import DganError

_MATERIALS = {"particle": "particle_material", "substrate": "substrate"}


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
        from ..bridge.noise import apply_numpy

        return apply_numpy(image, noise, int(rng.integers(2**31)))


def _parse(table: dict, where: str) -> dict[str, Parameter]:
    params = {}
    for name, entry in table.items():
        if isinstance(entry, dict):
            try:
                params[name] = Parameter(**{k: float(v) for k, v in entry.items()
                                            if k in ("value", "spread", "low", "high")})
            except TypeError:
                raise DganError(f"{where}: parameter '{name}' needs at least 'value'") from None
        else:
            params[name] = Parameter(float(entry))
    for name in params:
        group = name.partition(".")[0]
        if group not in ("particle", "substrate", "noise", "light"):
            raise DganError(f"{where}: unknown parameter '{name}' (expected particle.*, substrate.*, light.* or noise.*)")
    return params


def load_look(params: Path | None, cfg: SceneConfig | None) -> Look | None:
    """``params`` file if given, else the preset's shipped ``[fitted]`` table, else None."""
    if params is not None:
        data = read_toml(Path(params))
        if "parameters" not in data:
            raise DganError(f"{params}: no [parameters] table; give a params.toml written by 'dgan fit'")
        return Look(_parse(data["parameters"], str(params)), data.get("meta", {}))
    if cfg is None:
        return None
    try:
        data = read_toml(preset_path(cfg.name))
    except DganError:
        return None
    fitted = data.get("fitted")
    if not fitted or "parameters" not in fitted:
        return None
    return Look(_parse(fitted["parameters"], f"preset {cfg.name} [fitted]"), fitted.get("meta", {}))
