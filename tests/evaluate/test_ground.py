"""The substrate check: detections the micrograph's own foreground does not show are
dropped, particles it shows are kept, and where most detections are unseen nothing is."""

from __future__ import annotations

import numpy as np

from dgan_blender.evaluate.ground import MAX_UNSEEN_SHARE, Foreground, drop, dropped, ground_check, unseen

from .conftest import blobs, render

SHAPE = (120, 160)
DISCS = [(30, 30), (30, 90), (80, 50), (85, 120)]


def micrographs(dark: bool = False):
    rng = np.random.default_rng(4)
    images, particles = [], []
    for shift in (0, 7):
        inst = blobs(SHAPE, [(y + shift, x) for y, x in DISCS], 11)
        img = render(inst, rng)
        images.append(255 - img if dark else img)
        particles.append(inst)
    return images, particles


def with_ground_detections(inst, spots):
    """The network's instances: the true particles, plus detections on bare ground."""
    out = inst.copy()
    yy, xx = np.mgrid[:SHAPE[0], :SHAPE[1]]
    for cy, cx in spots:
        out[(yy - cy) ** 2 + (xx - cx) ** 2 <= 4 ** 2] = out.max() + 1
    return out


def test_foreground_shows_the_particles_either_polarity():
    for dark in (False, True):
        images, particles = micrographs(dark)
        rule = Foreground(images)
        assert rule.polarity == ("dark" if dark else "bright")
        fg = rule.mask(images[0])
        assert fg[particles[0] > 0].mean() > 0.9 and fg[particles[0] == 0].mean() < 0.05


def test_ground_detections_are_dropped_particles_kept():
    images, particles = micrographs()
    found = [with_ground_detections(p, [(60, 140), (110, 10)]) for p in particles]
    assert [len(unseen(f, Foreground(images).mask(im))) for f, im in zip(found, images)] == [2, 2]
    kept, record = ground_check(images, found)
    assert record["applied"] and record["unseen"] == 4 and record["detections"] == 4 * 2 + 4
    for k, p, f in zip(kept, particles, found):
        assert k.max() == len(DISCS)  # renumbered 1..n
        assert np.array_equal(k > 0, p > 0)  # exactly the particles' pixels left
        gone = dropped(f, k)  # what was taken out, with its ids, for the report's overlay
        assert np.array_equal(gone > 0, (f > 0) & (p == 0)) and set(np.unique(gone)) == {0, 5, 6}
    same, record = ground_check(images, particles)  # nothing on the ground: nothing dropped
    assert record["unseen"] == 0 and all(np.array_equal(a, b) for a, b in zip(same, particles))


def test_most_detections_unseen_means_the_foreground_is_not_trusted():
    images, particles = micrographs()
    spots = [(60, 140), (110, 10), (5, 60), (60, 5), (112, 80)]
    found = [with_ground_detections(p, spots) for p in particles]  # 5 of 9 unseen per image
    assert 5 / 9 > MAX_UNSEEN_SHARE
    kept, record = ground_check(images, found)
    assert not record["applied"] and record["unseen"] == 10
    assert all(np.array_equal(a, b) for a, b in zip(kept, found))


def test_drop_renumbers_in_order():
    inst = np.array([[1, 1, 0, 2], [3, 0, 4, 4]], np.uint16)
    assert drop(inst, np.array([2])).tolist() == [[1, 1, 0, 0], [2, 0, 3, 3]]
    assert drop(inst, np.array([2])).dtype == np.uint16


def test_the_overlay_draws_dropped_detections_in_blue():
    from dgan_blender.evaluate.run import overlay

    images, particles = micrographs()
    found = with_ground_detections(particles[0], [(60, 140)])
    gone = dropped(found, particles[0])
    rgb = overlay(images[0], None, particles[0], 1.0, dropped=gone)
    blue = np.all(rgb == (40, 120, 255), axis=2)
    assert blue[50:71, 130:151].any() and not blue[:, :100].any()
    assert not np.all(overlay(images[0], None, particles[0], 1.0) == (40, 120, 255), axis=2).any()
