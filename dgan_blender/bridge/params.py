"""The named parameters a fit may change, with physical bounds.

Rendering: the SEM values of the two material classes (shadowing included) and the global signal gain
(beam current x detector gain, the SEM's 'light'); detector: the noise model's values.
Defaults come from the scene config; bounds from the code, narrowed or widened by a
preset's optional ``[bounds]`` table (``"particle.sem_base" = [0.1, 0.9]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import SceneConfig
from ..errors import DganError

if TYPE_CHECKING:
    import torch

# The detector/noise model's (bridge/noise.py) parameters. name: (default, low, high) -
# defaults are a clean detector, bounds physical
NOISE_PARAMS = {
    "blur_sigma_px": (0.5, 0.0, 3.0),
    "jitter_px": (0.0, 0.0, 2.0),
    "shot_gain": (0.002, 0.0, 0.05),
    "gamma": (1.0, 0.4, 2.5),
    "contrast": (1.0, 0.2, 3.0),
    "brightness": (0.0, -0.5, 0.5),
    "read_sigma": (0.01, 0.0, 0.2),
    "texture_fine": (0.0, 0.0, 0.15),
    "texture_coarse": (0.0, 0.0, 0.15),
    "texture_grain": (0.0, 0.0, 0.15),
}

_RENDER_BOUNDS = {
    "particle.sem_base": (0.0, 1.5),
    "particle.sem_edge": (0.0, 3.0),
    "particle.sem_exponent": (0.5, 8.0),
    "particle.sem_shadow": (0.0, 1.0),
    "substrate.sem_base": (0.0, 1.0),
    "substrate.sem_edge": (0.0, 2.0),
    "substrate.sem_exponent": (0.5, 8.0),
    "substrate.sem_shadow": (0.0, 1.0),
    "light.gain": (0.3, 3.0),
}
# transmission: from faint (100 nm of particle absorbs 1 %) to opaque (20 nm: 98 %)
_TRANSMISSION_BOUNDS = {
    "particle.tr_attenuation_per_nm": (1.0e-4, 0.2),
    "substrate.tr_level": (0.05, 1.5),
    "light.gain": (0.3, 3.0),
}


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: float
    low: float
    high: float


def param_specs(cfg: SceneConfig) -> dict[str, ParamSpec]:
    """The fit's parameters for the scene's imaging mode (each mode renders with its own)."""
    pm, sm = cfg.particle_material, cfg.substrate.material
    if cfg.imaging.mode == "transmission":
        defaults = {"particle.tr_attenuation_per_nm": pm.tr_attenuation_per_nm,
                    "substrate.tr_level": sm.tr_level, "light.gain": 1.0}
        bounds = dict(_TRANSMISSION_BOUNDS)
    else:
        defaults = {
            "particle.sem_base": pm.sem_base, "particle.sem_edge": pm.sem_edge,
            "particle.sem_exponent": pm.sem_exponent, "particle.sem_shadow": pm.sem_shadow,
            "substrate.sem_base": sm.sem_base, "substrate.sem_edge": sm.sem_edge,
            "substrate.sem_exponent": sm.sem_exponent, "substrate.sem_shadow": sm.sem_shadow,
            "light.gain": 1.0,
        }
        bounds = dict(_RENDER_BOUNDS)
    for name, (d, lo, hi) in NOISE_PARAMS.items():
        defaults[f"noise.{name}"] = d
        bounds[f"noise.{name}"] = (lo, hi)
    for name, pair in cfg.bounds.items():  # the preset's (or --config file's) [bounds]
        if name not in bounds or not (isinstance(pair, list) and len(pair) == 2 and pair[0] < pair[1]):
            raise DganError(f"preset {cfg.name}: [bounds] '{name}' must be a parameter of this imaging "
                            f"mode with [low, high] (known: {', '.join(bounds)})")
        bounds[name] = (float(pair[0]), float(pair[1]))
    specs = {}
    for name, d in defaults.items():
        lo, hi = bounds[name]
        specs[name] = ParamSpec(name, min(max(float(d), lo), hi), lo, hi)
    return specs


def split(values: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    """Render-side values as {"particle": {...}, "substrate": {...}} and noise values."""
    mats: dict[str, dict] = {"particle": {}, "substrate": {}}
    if "light.gain" in values:
        mats["particle"]["sem_gain"] = mats["substrate"]["sem_gain"] = values["light.gain"]
    noise = {}
    for name, v in values.items():
        group, _, field = name.partition(".")
        if group in mats:
            mats[group][field] = v
        elif group == "noise":
            noise[field] = v
    return mats, noise
