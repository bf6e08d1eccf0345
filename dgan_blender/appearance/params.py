"""The named parameters a fit may change, with physical bounds: those of the appearance
registry (``appearance/registry.py``) for the scene's imaging mode and the detector
model's. Defaults come from the scene config; bounds from the registry, narrowed or
widened by the preset's ``[bounds]`` table (``"particle.sem_base" = [0.1, 0.9]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..appearance.registry import MATERIAL_GROUPS, NOISE_PARAMS, for_mode, material_value
from ..config import SceneConfig
from ..errors import DganError

if TYPE_CHECKING:
    import torch

__all__ = ["NOISE_PARAMS", "ParamSpec", "param_specs", "split"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: float
    low: float
    high: float


def param_specs(cfg: SceneConfig) -> dict[str, ParamSpec]:
    """The fit's parameters for the scene's imaging mode (each mode renders with its own),
    from the appearance registry: material classes first, then the gain, then noise."""
    params = for_mode(cfg.imaging.mode)
    materials = {"particle": cfg.particle_material, "substrate": cfg.substrate.material}
    defaults, bounds = {}, {}
    for group in (*MATERIAL_GROUPS, "light"):
        for p in params:
            if group in p.bounds:
                name = f"{group}.{p.attr}"
                defaults[name] = material_value(p, materials.get(group))
                bounds[name] = p.bounds[group]
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
