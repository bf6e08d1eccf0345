"""The SEM secondary-electron shading model as a Mitsuba integrator.

Per camera sample: L = (base_c + edge_c * (1 - |n . d|) ** exponent_c) * (1 - shadow_c *
blocked), with n the interpolated shading normal, d the ray direction, c the surface's
class (substrate or particle) and ``blocked`` whether one cosine-weighted ray about the
geometric normal meets a surface within shadow_nm_c (its mean over samples is 1 - AO).
This is what the Blender material computes (Layer Weight *Facing* -> power -> multiply
-> add, times 1 - shadow * (1 - Ambient Occlusion) -> Emission with no bounces), so
Cycles and Mitsuba agree
and the fitted values mean the same in both. The per-class values are Dr.Jit arrays
that can carry gradients.
"""

from __future__ import annotations

import numpy as np

_REGISTERED: set[str] = set()


def register(mi, dr) -> str:
    """Register the plugin for the active variant; returns its name."""
    name = "dgan_sem"
    if mi.variant() in _REGISTERED:
        return name

    per_class = per_class_op(mi, dr)

    class SEMIntegrator(mi.SamplingIntegrator):
        def __init__(self, props):
            super().__init__(props)
            self.base = mi.Float([0.1, 0.3])
            self.edge = mi.Float([0.0, 0.6])
            self.exponent = mi.Float([1.0, 2.0])
            self.shadow = mi.Float([0.0, 0.0])
            self.shadow_nm = mi.Float([0.0, 0.0])
            self.lut = mi.UInt32([0])
            self.ids = mi.UInt32([0])

        def shade(self, scene, sampler, ray, active):
            si = scene.ray_intersect(ray, active)
            valid = si.is_valid()
            rid = dr.reinterpret_array(mi.UInt32, si.shape)
            cls = dr.gather(mi.UInt32, self.lut, rid, valid)
            base, edge, expo, shadow, reach = dr.custom(
                per_class, cls, valid, (self.base, self.edge, self.exponent, self.shadow, self.shadow_nm))
            facing = dr.maximum(1.0 - dr.abs(dr.dot(si.sh_frame.n, ray.d)), 0.0)
            value = base + edge * dr.power(facing, expo)
            # about the geometric normal: shading-frame directions near the horizon
            # could dip under the triangle and hit it
            n = dr.select(dr.dot(si.n, ray.d) < 0, si.n, -si.n)
            wo = mi.Frame3f(n).to_world(mi.warp.square_to_cosine_hemisphere(sampler.next_2d(valid)))
            probe = si.spawn_ray(wo)
            probe.maxt = reach
            look = valid & (dr.detach(shadow) > 0) & (reach > 0)
            blocked = scene.ray_test(probe, look)
            value = value * (1.0 - shadow * dr.select(blocked & look, 1.0, 0.0))
            return dr.select(valid, value, 0.0), valid, rid

    return finish_plugin(mi, name, SEMIntegrator, _REGISTERED)


def per_class_op(mi, dr):
    """``dr.custom(op, cls, valid, values)``: ``v[cls]`` per lane for each per-class array
    ``v`` of ``values`` (0 where not ``valid``), as gathers; but their gradient is summed
    per class in a fixed order. The gradient of a plain gather is a scatter-add into
    ``v`` from every lane, which the multi-threaded LLVM back end sums in whatever order
    its threads run, so two fits of one seed drifted apart in the last bits (and a
    resumed fit from an uninterrupted one). Here every lane's share is computed in one
    kernel, then each class's sum is a block reduction."""

    class PerClass(dr.CustomOp):
        def eval(self, cls, valid, values):
            self.cls, self.valid, self.n = cls, valid, [dr.width(v) for v in values]
            return tuple(dr.gather(mi.Float, v, cls, valid) for v in values)

        def forward(self):
            self.set_grad_out(tuple(dr.gather(mi.Float, g, self.cls, self.valid) for g in self.grad_in("values")))

        def backward(self):
            shares = [[dr.select(self.valid & (self.cls == k), g, 0.0) for k in range(n)]
                      for g, n in zip(self.grad_out(), self.n)]
            dr.eval(shares)
            grads = []
            for per in shares:
                idx = dr.arange(mi.UInt32, len(per))
                g = dr.zeros(mi.Float, len(per))
                for k, share in enumerate(per):
                    g = dr.select(idx == k, dr.sum(share), g)
                grads.append(g)
            self.set_grad_in("values", tuple(grads))

        def name(self):
            return "PerClass"

    return PerClass


def finish_plugin(mi, name: str, cls, registered: set) -> str:
    """What the project's integrators share - a camera sample is the value ``cls.shade``
    gives its ray, no AOVs - and their registration for the active variant."""

    def sample(self, scene, sampler, ray, medium=None, active=True):
        value, valid, _ = self.shade(scene, sampler, ray, active)
        return mi.Spectrum(value), valid, []

    cls.sample = sample
    cls.aov_names = lambda self: []
    cls.to_string = lambda self: f"Dgan{cls.__name__}[]"
    mi.register_integrator(name, lambda props: cls(props))
    registered.add(mi.variant())
    return name


def registry_ids(mi, dr, scene) -> list[int]:
    """Dr.Jit's registry id of each shape, the value ``si.shape`` holds for it (not the
    shape's position in ``scene.shapes()``)."""
    return [int(dr.reinterpret_array(mi.UInt32, mi.ShapePtr(s))[0]) for s in scene.shapes()]


def install_tables(mi, dr, scene, classes: dict[str, int], ids: dict[str, int]) -> None:
    """Per-registry-id lookup tables: material class and particle id of each shape."""
    shapes = scene.shapes()
    rids = registry_ids(mi, dr, scene)
    size = max(rids) + 1
    lut = np.zeros(size, np.uint32)
    pid = np.zeros(size, np.uint32)
    for shape, rid in zip(shapes, rids):
        lut[rid] = classes.get(shape.id(), 0)
        pid[rid] = ids.get(shape.id(), 0)
    integ = scene.integrator()
    integ.lut = mi.UInt32(lut)
    integ.ids = mi.UInt32(pid)
