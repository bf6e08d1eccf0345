"""Dropping and settling particles must give, bit for bit, what the two-call code gave
(a seed's layouts must not move): the one-pass evaluation of both bodies' reaches
against the two calls it replaces, and the pairs _stack_height leaves out against the
full evaluation (a left-out pair is never a candidate's highest contact)."""

from __future__ import annotations

import numpy as np
import pytest
import radial_cases

from dgan_blender.geometry.meshes import (RowReach, irregular_fn, particle_meshes, radius_by_fn,
                                          row_norms)
from dgan_blender.geometry.placement import Body
from dgan_blender.geometry.stacking import SideReach, _ContactReach, _radius_as_called, _stack_height

RNG = np.random.default_rng(23)


def irregular(scale, rng=RNG, facets=8, roughness=0.04):
    return radial_cases.irregular(scale, rng, facets, roughness)


SAME, SPHERES, MIXED = radial_cases.radial_sets(RNG)
CASES = [(SAME, irregular(60.0)), (SAME, irregular(30.0, facets=0, roughness=0.0)), (SPHERES, SPHERES[0]),
         (MIXED, SAME[0])]
IDS = ["irregular", "other-terms", "spheres", "mixed"]


def unit_dirs(n, rng=RNG):
    return radial_cases.unit_dirs(n, rng)


@pytest.mark.parametrize("fns, fn", CASES, ids=IDS)
def test_contact_reach_is_the_two_calls(fns, fn):
    n = 90
    which = RNG.integers(len(fns), size=n)
    alone = RNG.uniform(size=n) < 0.1
    u = unit_dirs(n)
    reach = _ContactReach(fns, which, fn, alone)
    plain = RowReach(fns, which)
    assert np.array_equal(reach.at(None, u), plain.at(None, u) + _radius_as_called(fn, -u, alone))
    for live in (np.flatnonzero(RNG.uniform(size=n) < 0.5), np.array([7]), np.flatnonzero(alone)[:1]):
        got = reach.at(live, u[live])
        assert np.array_equal(got, plain.at(live, u[live]) + _radius_as_called(fn, -u[live], alone[live]))


@pytest.mark.parametrize("fns, fn", CASES, ids=IDS)
@pytest.mark.parametrize("n", [1, 2, 40])
def test_side_reach_is_the_two_calls(fns, fn, n):
    which = RNG.integers(len(fns), size=n)
    if n > len(fns):
        which[0] = len(fns) - 1  # one body with a single row: a one-row product made as a two-row one
        which[1:] = np.where(which[1:] == len(fns) - 1, 0, which[1:])
    u = unit_dirs(n)
    want = radius_by_fn(fns, which, u) + radius_by_fn([fn], np.zeros(n, np.intp), -u)
    assert np.array_equal(SideReach(fns, which, fn).at(u), want)


def _cluster(rng, count=9):
    """Bodies of one shape family resting in a loose 3-D heap, as placement leaves them."""
    dicts = [irregular_fn(rng, rng.uniform(1.0, 1.8), 8, 0.12, 0.04, 3.0) for _ in range(count + 1)]
    diameters = rng.lognormal(np.log(170.0), 0.3, count + 1)
    meshes, fns, reach = particle_meshes(dicts, diameters, 3)
    bodies = [Body.of(f, float(d), m.vertices, r) for f, d, m, r in zip(fns, diameters, meshes, reach)]
    for b in bodies[:-1]:
        xy = rng.uniform(0, 400, 2)
        b.centre = np.array([xy[0], xy[1], b.bottom + rng.choice([0.0, rng.uniform(50, 200)])])
    return bodies[:-1], bodies[-1]


@pytest.mark.parametrize("seed", range(4))
def test_left_out_pairs_are_never_the_highest_contact(seed):
    rng = np.random.default_rng(seed)
    others, body = _cluster(rng)
    xy = rng.uniform(-50, 450, (200, 2))
    centres = np.array([o.centre for o in others])
    dxy = row_norms(centres[None, :, :2] - xy[:, None, :])
    near = dxy < np.array([o.rmax for o in others])[None, :] + body.rmax
    group, which = np.nonzero(near)
    args = (others, which, body, xy[group], dxy[group, which], np.array([len(group)]))
    full = _stack_height(*args, floor=body.bottom)
    kept = _stack_height(*args, floor=body.bottom, group=group)
    assert np.isneginf(kept[kept != full]).all()  # a pair is left out whole or kept to the bit
    assert (kept != full).any()  # the test sees pairs left out
    for c in np.unique(group):
        pairs = np.flatnonzero(group == c)
        top = full[pairs].max()
        assert kept[pairs].max() == top or top <= body.bottom
        # the highest contact (lowest particle on a tie), as _drop picks it
        if top > body.bottom:
            assert pairs[np.argmax(full[pairs])] == pairs[np.argmax(kept[pairs])]
