"""A scene description (see ``export.describe``) loaded into Mitsuba: the differentiable
SEM render, and the instance mask from one ray through each pixel centre."""

from __future__ import annotations

import numpy as np

from ..mitsuba_env import import_mitsuba
from ..appearance.registry import for_mode
from . import sem, transmission

CLASSES = ("substrate", "particle")


def sensor_dict(mi, cam: dict, spp: int) -> dict:
    # Blender cameras look down local -Z with +X right; Mitsuba's look down +Z with +X
    # to the left: flip both axes.
    m = np.array(cam["to_world"], float) @ np.diag([-1.0, 1.0, -1.0, 1.0])
    w, h = cam["width"], cam["height"]
    film = {"type": "hdrfilm", "width": w, "height": h, "pixel_format": "luminance",
            "rfilter": {"type": "box"}, "sample_border": False}
    near, far = _clip_range(cam["near"], cam["far"])
    sensor = {"film": film, "near_clip": near, "far_clip": far,
              "sampler": {"type": "independent", "sample_count": spp}}
    if cam["type"] == "orthographic":
        half = cam["ortho_scale"] / 2.0 * (1.0 if w >= h else w / h)
        m = m @ np.diag([half, half, 1.0, 1.0])
        sensor.update(type="orthographic")
    else:
        sensor.update(type="perspective", fov=cam["fov_deg"], fov_axis=cam["fov_axis"])
    sensor["to_world"] = mi.ScalarTransform4f(m.tolist())
    return sensor


def _clip_range(near: float, far: float) -> tuple[float, float]:
    """The clip distances widened to powers of two. Mitsuba keeps them as scalars that
    Dr.Jit compiles into the render and instance kernels as constants, and the builder
    places the camera above the tallest particle, so every new layout compiled two new
    kernels (~0.25 s, a third of a data-set sample, and two more files in ~/.drjit).
    Widened, a few kernels serve every layout; the range only grows, so nothing that
    was in view is clipped."""
    return float(2.0 ** np.floor(np.log2(near))), float(2.0 ** np.ceil(np.log2(far)))


def mitsuba_mesh(mi, dr, name: str, s: dict, bsdf=None):
    has_n = s["normals"] is not None
    props = mi.Properties()
    if bsdf is not None:
        props["bsdf"] = bsdf
    mesh = mi.Mesh(name, len(s["vertices"]), len(s["faces"]), props=props, has_vertex_normals=has_n)
    p = mi.traverse(mesh)
    p["vertex_positions"] = dr.ravel(mi.Point3f(np.ascontiguousarray(s["vertices"].T)))
    p["faces"] = dr.ravel(mi.Vector3u(np.ascontiguousarray(s["faces"].T)))
    if has_n:
        p["vertex_normals"] = dr.ravel(mi.Normal3f(np.ascontiguousarray(s["normals"].T)))
    p.update()
    return mesh


def imaging_mode(desc: dict) -> str:
    """``transmission`` where the scene's materials are transmission materials, else ``se``."""
    shadings = {m.get("shading") for m in desc["materials"].values()}
    return "transmission" if "transmission" in shadings else "se"


def mitsuba_dict(mi, dr, desc: dict, spp: int = 16) -> dict:
    """The plain Mitsuba scene dict (meshes as ``mi.Mesh`` objects)."""
    plugin = transmission if imaging_mode(desc) == "transmission" else sem
    integrator = plugin.register(mi, dr)
    scene = {"type": "scene", "integrator": {"type": integrator},
             "sensor": sensor_dict(mi, desc["camera"], spp)}
    for name, s in desc["shapes"].items():
        scene[name] = mitsuba_mesh(mi, dr, name, s)
    return scene


class MitsubaScene:
    """One loaded layout: render it with given SEM values, or read its instance ids."""

    def __init__(self, desc: dict, spp: int = 16, variant: str | None = None):
        self.mi = mi = import_mitsuba(variant)
        import drjit as dr

        self.dr = dr
        self.desc = desc
        self.spp = spp
        self.mode = imaging_mode(desc)
        self.scene = mi.load_dict(mitsuba_dict(mi, dr, desc, spp))
        self.sensor = self.scene.sensors()[0]
        classes = {n: s["cls"] for n, s in desc["shapes"].items()}
        ids = {n: s["pass_index"] for n, s in desc["shapes"].items()}
        sem.install_tables(mi, dr, self.scene, classes, ids)
        self.integrator = self.scene.integrator()
        cam = desc["camera"]
        self.height, self.width = cam["height"], cam["width"]
        self.base_materials = {CLASSES[c]: dict(m) for c, m in self._class_materials().items()}
        self.set_materials({})

    def _class_materials(self) -> dict[int, dict]:
        out = {}
        for s in self.desc["shapes"].values():
            out.setdefault(s["cls"], self.desc["materials"][s["material"]])
        return out

    def set_materials(self, values: dict) -> None:
        """``values``: {"particle": {"sem_base": x, ...}, "substrate": {...}}, over the
        scene's own materials; each x a float or a Dr.Jit Float (gradients flow through)."""
        values = {c: {**self.base_materials.get(c, {}), **values.get(c, {})} for c in CLASSES}
        fields = {p.node: p.integrator for p in for_mode(self.mode) if p.integrator}
        if self.mode == "se":
            fields["sem_shadow_nm"] = "shadow_nm"  # a scene value, not fitted
        # what the gain multiplies: the whole emitted signal (SE), the ground's beam (transmission)
        scaled = ("sem_base", "sem_edge", "tr_level")
        for key, attr in fields.items():
            parts = [values[c].get(key, 1.0 if key == "sem_exponent" else 0.0) for c in CLASSES]
            if key in scaled:
                parts = [p * values[c].get("sem_gain", 1.0) for p, c in zip(parts, CLASSES)]
            setattr(self.integrator, attr, self._per_class(parts))

    def _per_class(self, parts: list):
        """One value per material class as a Dr.Jit array; ``select`` keeps gradients of
        traced values, and a plain number goes in opaque: as a literal, each new value
        (every data-set sample draws its own) would compile a new render kernel."""
        mi, dr = self.mi, self.dr
        idx = dr.arange(mi.UInt32, len(CLASSES))
        arr = dr.zeros(mi.Float, len(CLASSES))
        for k, v in enumerate(parts):
            arr = dr.select(idx == k, v if isinstance(v, mi.Float) else dr.opaque(mi.Float, float(v)), arr)
        return arr

    def render(self, seed: int = 0, spp: int | None = None):
        """Image (H, W) as a Dr.Jit tensor; differentiable in the installed values."""
        # an opaque seed keeps one compiled kernel for every seed (a literal would
        # make Dr.Jit compile a new kernel per seed)
        opaque = self.dr.opaque(self.mi.UInt32, int(seed) % (2**32))
        img = self.integrator.render(self.scene, self.sensor, seed=opaque,
                                     spp=spp or self.spp, develop=True, evaluate=False)
        return img[..., 0]

    def _instance_ids(self):
        """Particle id seen through each pixel centre, as a lazy Dr.Jit array."""
        mi, dr = self.mi, self.dr
        h, w = self.height, self.width
        idx = dr.arange(mi.UInt32, w * h)
        x = mi.Float(idx % w) + 0.5
        y = mi.Float(idx // w) + 0.5
        pos = mi.Point2f(x / w, y / h)
        ray, _ = self.sensor.sample_ray(0.0, 0.5, pos, mi.Point2f(0.5, 0.5))
        si = self.scene.ray_intersect(ray)
        rid = dr.reinterpret_array(mi.UInt32, si.shape)
        return dr.gather(mi.UInt32, self.integrator.ids, rid, si.is_valid())

    def _mask(self, ids) -> np.ndarray:
        return np.array(ids, dtype=np.uint32).reshape(self.height, self.width).astype(np.uint16)

    def instances(self) -> np.ndarray:
        """Particle id seen through each pixel centre (uint16, row 0 at the top)."""
        return self._mask(self._instance_ids())

    def render_and_instances(self, seed: int = 0, spp: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`render` (as float32) and :meth:`instances` evaluated together: one
        round of kernel launches and synchronisation for a data-set sample, not two."""
        image, ids = self.render(seed, spp), self._instance_ids()
        self.dr.eval(image, ids)
        return np.array(image, dtype=np.float32), self._mask(ids)

