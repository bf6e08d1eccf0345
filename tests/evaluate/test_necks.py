"""Splitting joined particles at necks, and choosing the depth on annotated images."""

import numpy as np
import pytest

from dgan_blender.evaluate.instances import interior_seeds
from dgan_blender.evaluate.necks import choose_depth, choose_split, choose_weight, split_necks


def _disc(shape, cy, cx, r):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def _probs(interior, boundary):
    """One-hot class probabilities: background, particle interior, boundary."""
    p = np.zeros((3,) + interior.shape, np.float32)
    p[1][interior] = 1
    p[2][boundary & ~interior] = 1
    p[0][(p[1] + p[2]) == 0] = 1
    return p


def _pair(shape=(64, 96), gap=0.0):
    """Two discs of radius 12 whose interiors meet through a neck (``gap`` 0: touching)."""
    a, b = _disc(shape, 32, 30, 12), _disc(shape, 32, 54 + gap, 12)
    truth = np.zeros(shape, np.int32)
    truth[a], truth[b] = 1, 2
    inner = _disc(shape, 32, 30, 10) | _disc(shape, 32, 54 + gap, 10)
    inner[30:35, 38:47] = True  # the interiors joined: what the network gives for touching particles
    return _probs(inner, a | b), truth


def test_a_neck_is_split_and_no_split_keeps_one():
    probs, truth = _pair()
    assert split_necks(probs, None).max() == 1
    lab = split_necks(probs, 0.25)
    assert lab.max() == 2
    for k in (1, 2):  # each split particle lies on one true particle (the cut may be a pixel off)
        share = np.bincount(truth[lab == k], minlength=3)[1:].max() / (lab == k).sum()
        assert share > 0.97


def test_a_round_particle_is_never_cut():
    shape = (64, 64)
    probs = _probs(_disc(shape, 32, 32, 14), _disc(shape, 32, 32, 16))
    for h in (0.05, 0.1, 0.25, 0.5):
        assert split_necks(probs, h).max() == 1


def test_depth_is_chosen_by_panoptic_quality():
    joined = [_pair()]
    best, scores = choose_depth([p for p, _ in joined], [t for _, t in joined])
    assert best is not None and scores[f"{best:g}"]["pq"] > scores["none"]["pq"]
    shape = (64, 64)
    single = _probs(_disc(shape, 32, 32, 10), _disc(shape, 32, 32, 12))
    truth = _disc(shape, 32, 32, 12).astype(np.int32)
    best, scores = choose_depth([single], [truth])
    assert best is None  # nothing to split: ties go to no splitting


def test_splitting_never_joins_a_small_particle_to_its_neighbour():
    """A particle too small to hold a maximum as deep as the depth keeps its own seed
    (seeding from the deep maxima alone let it flood into the large one)."""
    shape = (64, 80)
    big, small = _disc(shape, 32, 28, 14), _disc(shape, 32, 47, 5)
    truth = np.zeros(shape, np.int32)
    truth[big], truth[small] = 1, 2
    probs = _probs(_disc(shape, 32, 28, 12) | _disc(shape, 32, 47, 3), big | small)
    assert split_necks(probs, None).max() == 2
    for h in (0.05, 0.25, 0.5):
        lab = split_necks(probs, h)
        assert lab.max() == 2
        assert (lab[small] == lab[32, 47]).mean() > 0.9 and lab[32, 47] != lab[32, 28]


def test_a_split_only_adds_cuts():
    """Every instance of a split lies inside one instance of the unsplit result."""
    probs, _ = _pair()
    shape = probs.shape[1:]
    extra = _disc(shape, 10, 80, 6)
    probs = _probs((probs[1] > 0) | _disc(shape, 10, 80, 4), (probs[1] + probs[2] > 0) | extra)
    base = split_necks(probs, None)
    for h in (0.05, 0.1, 0.25, 0.5):
        lab = split_necks(probs, h)
        assert lab.max() >= base.max()
        for k in range(1, lab.max() + 1):
            assert np.unique(base[lab == k]).size == 1


def _faint_pair(shape=(48, 80), faint=0.3):
    """Two touching discs whose contact the network marks as boundary only faintly: there
    the interior keeps the larger share, so a plain argmax joins them."""
    a, b = _disc(shape, 24, 24, 12), _disc(shape, 24, 48, 12)
    truth = np.zeros(shape, np.int32)
    truth[a], truth[b] = 1, 2
    probs = _probs(_disc(shape, 24, 24, 10) | _disc(shape, 24, 48, 10), a | b)
    contact = np.zeros(shape, bool)
    contact[14:35, 35:38] = True
    contact &= a | b
    probs[:, contact] = np.array([0.0, 1.0 - faint, faint], np.float32)[:, None]
    return probs, truth


def test_a_weighted_boundary_cuts_a_faint_contact_and_only_there():
    probs, truth = _faint_pair()
    assert split_necks(probs, None).max() == 1
    lab = split_necks(probs, None, boundary_weight=4.0)
    assert lab.max() == 2 and lab[24, 24] != lab[24, 48]
    for k in (1, 2):
        assert np.bincount(truth[lab == k], minlength=3)[1:].max() / (lab == k).sum() > 0.97
    # a confident interior is never cut, whatever the weight; the foreground is the plain one
    single = _probs(_disc((48, 48), 24, 24, 12), _disc((48, 48), 24, 24, 14))
    for w in (1.0, 8.0, 256.0):
        assert split_necks(single, None, boundary_weight=w).max() == 1
    assert ((split_necks(probs, None, boundary_weight=64.0) > 0) == (split_necks(probs, None) > 0)).all()


def test_weight_one_is_the_plain_argmax():
    from scipy import ndimage as ndi

    from dgan_blender.evaluate.instances import EIGHT, PARTICLE

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=(40, 40)).transpose(2, 0, 1).astype(np.float32)
    probs[:, :4] = np.array([0.4, 0.4, 0.2], np.float32)[:, None, None]  # ties go as the argmax's
    probs[:, 4:8] = np.array([0.2, 0.4, 0.4], np.float32)[:, None, None]
    plain, n = interior_seeds(probs)
    argmax, m = ndi.label(probs.argmax(0) == PARTICLE, structure=EIGHT)
    assert n == m and (plain == argmax).all()
    more, k = interior_seeds(probs, boundary_weight=3.0)
    assert ((more > 0) <= (plain > 0)).all() and (more > 0).sum() < (plain > 0).sum()


def _false_line(shape=(48, 48), faint=0.1):
    """One disc across which the network draws a boundary at ``faint``: a weight above
    (1 - faint) / faint cuts a single particle in two."""
    disc = _disc(shape, 24, 24, 14)
    probs = _probs(_disc(shape, 24, 24, 12), disc)
    probs[:, 8:41, 23:25] = np.array([0.0, 1.0 - faint, faint], np.float32)[:, None, None]
    return probs, disc.astype(np.int32)


def test_the_weight_is_chosen_by_the_sizes_and_ties_keep_the_plain_argmax():
    """The faint pair needs a weight above 0.7 / 0.3 to be cut, the false line is cut
    above 0.9 / 0.1: the sizes come right between, and the lowest such weight is taken."""
    pair, line = _faint_pair(), _false_line()
    w, scores = choose_weight([pair[0], line[0]], [pair[1], line[1]])
    distance = {k: v["wasserstein_nm"] for k, v in scores.items()}
    assert w == 4.0 and distance["4"] == min(distance.values()) == distance["8"]
    assert distance["1"] > distance["4"] and distance["16"] > distance["4"]  # joined / cut in two
    assert {"dsc", "ap50", "pq", "pq_se", "median_error_pct"} <= set(scores["4"])
    _, nm = choose_weight([pair[0], line[0]], [pair[1], line[1]], pixel_sizes_nm=[2.0, 2.0])
    assert nm["1"]["wasserstein_nm"] == pytest.approx(2.0 * distance["1"], rel=1e-3)
    single = _probs(_disc((48, 48), 24, 24, 10), _disc((48, 48), 24, 24, 12))
    w, _ = choose_weight([single], [_disc((48, 48), 24, 24, 12).astype(np.int32)])
    assert w == 1.0
    split = choose_split([pair[0]], [pair[1]])
    assert split.boundary_weight > 1.0 and split.h is None  # cut by the weight, nothing left for a neck
