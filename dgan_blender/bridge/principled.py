"""The paper's Principled-BSDF set-up in Mitsuba, for comparison with Cycles only.

Cycles and Mitsuba implement the Principled BSDF and light units differently, so this
path is not expected to match (the SEM model is the one that does); ``bridge check``
reports how far apart they are.
"""

from __future__ import annotations

import numpy as np

from ..mitsuba_env import import_mitsuba
from .scene import _mesh, _sensor


def render_principled(desc: dict, spp: int, seed: int = 0, variant: str | None = None) -> np.ndarray:
    mi = import_mitsuba(variant)
    import drjit as dr

    scene = {"type": "scene", "integrator": {"type": "path", "max_depth": 5},
             "sensor": _sensor(mi, desc["camera"], spp)}
    for name, s in desc["shapes"].items():
        m = desc["materials"][s["material"]]
        bsdf = {"type": "principled", "base_color": {"type": "rgb", "value": m.get("base_color", [0.5] * 3)},
                "roughness": m.get("roughness", 0.5), "metallic": m.get("metallic", 0.0),
                "specular": m.get("specular", 0.5)}
        scene[name] = _mesh(mi, dr, name, s, mi.load_dict(bsdf))
    for i, light in enumerate(desc["lights"]):
        if light["kind"] == "sun":
            scene[f"light_{i}"] = {"type": "directional", "direction": light["direction"],
                                   "irradiance": {"type": "rgb", "value": [light["energy"]] * 3}}
        else:
            scene[f"light_{i}"] = {"type": "point", "position": light["position"],
                                   "intensity": {"type": "rgb", "value": [light["energy"] / (4 * np.pi)] * 3}}
    loaded = mi.load_dict(scene)
    img = mi.render(loaded, spp=spp, seed=seed)
    return np.array(img)[..., 0]
