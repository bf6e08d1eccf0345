"""The paper's Principled-BSDF set-up in Mitsuba, for comparison with Cycles only.

Cycles and Mitsuba implement the Principled BSDF and light units differently, so this
path is not expected to match (the SEM model is the one that does); ``bridge check``
reports how far apart they are.
"""

from __future__ import annotations

import numpy as np

from ..mitsuba_env import import_mitsuba
from .scene import mitsuba_mesh, sensor_dict


def render_principled(desc: dict, spp: int, seed: int = 0, variant: str | None = None) -> np.ndarray:
    mi = import_mitsuba(variant)
    import drjit as dr

    scene = {"type": "scene", "integrator": {"type": "path", "max_depth": 5},
             "sensor": sensor_dict(mi, desc["camera"], spp)}
    for name, s in desc["shapes"].items():
        m = desc["materials"][s["material"]]
        bsdf = {"type": "principled", "base_color": {"type": "rgb", "value": m.get("base_color", [0.5] * 3)},
                "roughness": m.get("roughness", 0.5), "metallic": m.get("metallic", 0.0),
                "specular": m.get("specular", 0.5)}
        scene[name] = mitsuba_mesh(mi, dr, name, s, mi.load_dict(bsdf))
    for i, light in enumerate(desc["lights"]):
        scene[f"light_{i}"] = _emitter(mi, light)
    loaded = mi.load_dict(scene)
    img = mi.render(loaded, spp=spp, seed=seed)
    return np.array(img)[..., 0]


def _emitter(mi, light: dict) -> dict:
    """Cycles' light units in Mitsuba's: a sun's strength is irradiance; a point's power
    P spreads over 4 pi sr; an area light is a one-sided Lambertian square,
    rectangle, disk or ellipse (emitting along its local -Z) of radiance P / (pi * area).
    Cycles' soft point light (radius > 0) is not a delta light; it comes out about
    d^2 / (d^2 + r^2) darker than this point at distance d."""
    p = light["energy"]
    if light["kind"] == "sun":
        return {"type": "directional", "direction": light["direction"],
                "irradiance": {"type": "rgb", "value": [p] * 3}}
    if light["kind"] == "area" and light["size"] > 0:
        shape = light.get("shape", "SQUARE")
        sx = light["size"]
        sy = light.get("size_y", sx) if shape in ("RECTANGLE", "ELLIPSE") else sx
        disk = shape in ("DISK", "ELLIPSE")
        area = np.pi * sx * sy / 4.0 if disk else sx * sy
        m = np.array(light["to_world"], float) @ np.diag([sx / 2, -sy / 2, -1.0, 1.0])  # normal -> -Z
        return {"type": "disk" if disk else "rectangle", "to_world": mi.ScalarTransform4f(m.tolist()),
                "emitter": {"type": "area", "radiance": {"type": "rgb", "value": [p / (np.pi * area)] * 3}}}
    return {"type": "point", "position": light["position"],
            "intensity": {"type": "rgb", "value": [p / (4 * np.pi)] * 3}}
