"""Particle pixels from geometry alone: exact area, orientation, coverage on request."""

import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.geometry.footprint import footprint, footprint_fraction, layout_with_coverage
from dgan_blender.geometry.meshes import particle_mesh, translated
from dgan_blender.layout import Layout, Particle


def one_sphere(cfg, centre, diameter):
    mesh, fn = particle_mesh({"type": "sphere"}, diameter, 4)
    p = Particle(id=1, kind="sphere", center_nm=np.asarray(centre, float), diameter_nm=diameter,
                 mesh=translated(mesh, centre), radius_fn=fn)
    return Layout(cfg, 0, [p])


def test_a_sphere_covers_its_disc_and_sits_where_it_is():
    cfg = load_config("sio2-him", ["image.width_px=96", "image.height_px=64", "image.pixel_size_nm=2.0"])
    w, h = cfg.field_nm
    d = 40.0  # 20 px across
    # near the top-left corner of the image: small x, large y (y points up)
    lay = one_sphere(cfg, (30.0, h - 30.0, d / 2), d)
    mask = footprint(lay)
    assert mask.shape == (64, 96)
    # pixel centres inside the 10 px disc about (15, 15), plus at most the fill's
    # overreach of 1/5 px along the outline
    yy, xx = np.mgrid[0:64, 0:96] + 0.5
    inside = ((yy - 15) ** 2 + (xx - 15) ** 2 <= 10.0**2).sum()
    assert inside <= mask.sum() <= inside + 0.2 * 2 * np.pi * 10
    rows, cols = np.nonzero(mask)
    assert rows.mean() == pytest.approx(15 - 0.5, abs=0.6) and cols.mean() == pytest.approx(15 - 0.5, abs=0.6)
    assert footprint_fraction(lay) == pytest.approx(mask.mean())


def test_an_empty_layout_covers_nothing():
    cfg = load_config("tio2-sem", ["image.width_px=32", "image.height_px=32"])
    assert not footprint(Layout(cfg, 0, [])).any()


@pytest.mark.parametrize("target", [0.05, 0.2])
def test_layouts_cover_what_is_asked_and_repeat_with_the_seed(target):
    cfg = load_config("tio2-sem", ["image.width_px=128", "image.height_px=128", "image.pixel_size_nm=14.0"])
    a = layout_with_coverage(cfg, 11, target)
    assert footprint_fraction(a) == pytest.approx(target, rel=0.25)
    b = layout_with_coverage(cfg, 11, target)
    assert len(a.particles) == len(b.particles)
    assert all(np.array_equal(p.mesh.vertices, q.mesh.vertices) for p, q in zip(a.particles, b.particles))


def test_overlapping_particles_cover_their_union():
    """Two spheres whose outlines overlap (one lies on the other): every pixel either
    covers is covered - cv2 fills one call's polygons by parity, which once left the
    shared pixels empty."""
    cfg = load_config("sio2-him", ["image.width_px=96", "image.height_px=64", "image.pixel_size_nm=2.0"])
    d = 40.0
    a = one_sphere(cfg, (60.0, 60.0, d / 2), d).particles[0]
    b = one_sphere(cfg, (80.0, 60.0, d / 2 + 30.0), d).particles[0]
    b.id = 2
    both = footprint(Layout(cfg, 0, [a, b]))
    union = footprint(Layout(cfg, 0, [a])) | footprint(Layout(cfg, 0, [b]))
    assert (footprint(Layout(cfg, 0, [a])) & footprint(Layout(cfg, 0, [b]))).sum() > 50  # they do overlap
    assert np.array_equal(both, union)
