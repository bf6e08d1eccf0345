"""The transmission contrast model as a Mitsuba integrator.

Per camera sample: L = gain x level x exp(-mu x l), with l the path length (nm) of the
ray through particle meshes, level the substrate's signal (the beam through the bare
support) and mu the particles' attenuation per nm (Beer-Lambert in the mass-thickness
crossed). Overlapping particles add their lengths, as Cycles' volume stack adds their
absorption; thin edges and small particles are lighter. This is what the Blender
material computes (Transparent BSDF + Volume Absorption on particles, an emitting
ground), so Cycles and Mitsuba agree and the fitted values mean the same in both. The
length does not depend on a fitted value, so it is traced without gradients; ``mu``,
``level`` and the gain carry them.
"""

from __future__ import annotations

from .export import CLASS_PARTICLE, CLASS_SUBSTRATE
from .sem import finish_plugin

_REGISTERED: set[str] = set()
MAX_CROSSINGS = 256  # surfaces one ray may cross: two per particle in its way


def register(mi, dr) -> str:
    """Register the plugin for the active variant; returns its name."""
    name = "dgan_transmission"
    if mi.variant() in _REGISTERED:
        return name

    class TransmissionIntegrator(mi.SamplingIntegrator):
        def __init__(self, props):
            super().__init__(props)
            self.mu = mi.Float([0.0, 0.01])
            self.level = mi.Float([0.8, 0.0])
            self.lut = mi.UInt32([0])
            self.ids = mi.UInt32([0])

        def path_length(self, scene, ray, active):
            """Length (nm) of ``ray`` inside particle meshes before it reaches the ground:
            exits minus entries along the ray; where the ground cuts a particle (it rests
            on it) the ray ends inside, and the stretch up to the ground counts."""
            origin, d = mi.Point3f(ray.o), mi.Vector3f(ray.d)

            def cond(r, length, inside, depth, alive):
                return alive

            def body(r, length, inside, depth, alive):
                si = scene.ray_intersect(r, alive)
                hit = alive & si.is_valid()
                rid = dr.reinterpret_array(mi.UInt32, si.shape)
                cls = dr.gather(mi.UInt32, self.lut, rid, hit)
                t = dr.dot(si.p - origin, d)
                part = hit & (cls == CLASS_PARTICLE)
                leaving = dr.dot(si.n, d) > 0
                length = dr.select(part, length + dr.select(leaving, t, -t), length)
                inside = dr.select(part, inside + dr.select(leaving, -1, 1), inside)
                ground = hit & (cls != CLASS_PARTICLE)
                length = dr.select(ground & (inside > 0), length + mi.Float(inside) * t, length)
                depth = depth + 1
                alive = part & (depth < MAX_CROSSINGS)
                r = si.spawn_ray(d)
                return r, length, inside, depth, alive

            with dr.suspend_grad():
                state = dr.while_loop(
                    state=(mi.Ray3f(ray), mi.Float(0.0), mi.Int32(0), mi.UInt32(0), mi.Bool(active)),
                    cond=cond, body=body, labels=("ray", "length", "inside", "depth", "alive"))
            return dr.maximum(state[1], 0.0)

        def shade(self, scene, sampler, ray, active):
            si = scene.ray_intersect(ray, active)
            valid = si.is_valid()
            rid = dr.reinterpret_array(mi.UInt32, si.shape)
            length = self.path_length(scene, ray, active)
            mu = dr.gather(mi.Float, self.mu, mi.UInt32(CLASS_PARTICLE))
            level = dr.gather(mi.Float, self.level, mi.UInt32(CLASS_SUBSTRATE))
            value = level * dr.exp(-mu * length)
            return dr.select(valid, value, 0.0), valid, rid

    return finish_plugin(mi, name, TransmissionIntegrator, _REGISTERED)
