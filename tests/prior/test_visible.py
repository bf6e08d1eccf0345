import numpy as np

from dgan_blender.config import load_config
from dgan_blender.geometry import generate_layout
from dgan_blender.layout import Layout
from dgan_blender.prior.calibrate import seams
from dgan_blender.prior.visible import visible_instances


def test_visible_parts_tile_the_union_of_particles():
    cfg = load_config("tio2-sem", ["image.width_px=96", "image.height_px=96", "particles.mesh_subdivisions=2"])
    lay = generate_layout(cfg, np.random.default_rng(0), 0, coverage=0.25)
    vis = visible_instances(lay)
    each = [visible_instances(Layout(cfg, 0, [p])) > 0 for p in lay.particles]
    union = np.any(each, axis=0)
    assert np.array_equal(vis > 0, union)
    # every visible pixel belongs to a particle that covers it
    for p, m in zip(lay.particles, each):
        assert np.all(m[vis == p.id])
    # a particle lying on another hides it: the top one keeps its whole footprint
    top = max(lay.particles, key=lambda q: q.center_nm[2])
    assert np.array_equal(vis == top.id, each[lay.particles.index(top)])


def test_seams_lie_between_two_particles():
    vis = np.zeros((5, 6), np.int32)
    vis[:, :3], vis[:, 3:5] = 1, 2
    s = seams(vis)
    assert s[:, 3].all() and s.sum() == 5
