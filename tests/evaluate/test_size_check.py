"""The size error measured on held-out synthetic images whose outlines are exact."""

import numpy as np
import pytest

from dgan_blender.evaluate.size_check import error_draws, size_bias


def _truth(n_images=30, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.lognormal(np.log(120), 0.35, int(rng.integers(15, 40))) for _ in range(n_images)]


def _merged(true, seed=1):
    """What a segmentation that leaves touching particles joined returns: the smallest
    third of each image's particles absorbed into a larger neighbour (areas add)."""
    rng = np.random.default_rng(seed)
    out = []
    for t in true:
        t = np.sort(t)
        small, big = t[: t.size // 3], t[t.size // 3:].copy()
        for d in small:
            j = rng.integers(0, big.size)
            big[j] = np.sqrt(big[j] ** 2 + d ** 2)  # equal-area merge
        out.append(big)
    return out


def test_a_uniform_scale_error_is_measured_exactly():
    true = _truth()
    rec = size_bias([t * 1.25 for t in true], true, seed=0)
    assert rec["median_error_pct"] == pytest.approx(25.0, abs=0.01)
    assert rec["ci95"] == pytest.approx([25.0, 25.0], abs=0.01)
    assert rec["n_images"] == 30 and rec["n_found"] == rec["n_true"]


def test_merges_show_as_a_positive_error_inside_its_interval():
    true = _truth()
    rec = size_bias(_merged(true), true, seed=0)
    lo, hi = rec["ci95"]
    assert rec["median_error_pct"] > 10 and 0 < lo <= rec["median_error_pct"] <= hi
    assert rec["n_found"] < rec["n_true"]
    # exact outlines on both sides: no error, however many images
    assert size_bias(true, true, seed=0)["median_error_pct"] == 0.0


def test_seeded_and_resampled_by_image():
    true = _truth()
    found = _merged(true)
    assert size_bias(found, true, seed=3) == size_bias(found, true, seed=3)
    assert not np.array_equal(error_draws(found, true, 3, 200), error_draws(found, true, 4, 200))
    # one image: every resample is that image, so the interval has no width
    one = size_bias(found[:1], true[:1], seed=0)
    assert one["ci95"][0] == one["ci95"][1] == one["median_error_pct"]


def test_no_particles_gives_no_figure_and_says_why():
    rec = size_bias([np.zeros(0)] * 3, [np.zeros(0)] * 3, seed=0)
    assert rec["median_error_pct"] is None and "no particles" in rec["why"]
    with pytest.raises(ValueError):
        error_draws([np.ones(3)], [], 0)
