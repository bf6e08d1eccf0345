"""Radial shape functions the geometry tests evaluate - irregular solids, spheres and a
mix of both - drawn from the generator each test module seeds itself (importable as
``radial_cases``: ``tests/conftest.py``'s folder is on ``sys.path``)."""

from __future__ import annotations

import numpy as np

from dgan_blender.geometry.meshes import RadialFn, irregular_fn


def irregular(scale, rng, facets=8, roughness=0.04):
    return RadialFn({**irregular_fn(rng, rng.uniform(1.0, 1.8), facets, 0.12, roughness, 3.0), "scale": scale})


def unit_dirs(n, rng):
    d = rng.standard_normal((n, 3))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def radial_sets(rng):
    """(four irregular solids, two spheres, a mix of both with one smooth solid)."""
    same = [irregular(s, rng) for s in (40.0, 70.0, 55.0, 90.0)]
    spheres = [RadialFn({"type": "sphere", "scale": s}) for s in (30.0, 45.0)]
    return same, spheres, same[:2] + spheres[:1] + [irregular(20.0, rng, facets=0, roughness=0.0)]
