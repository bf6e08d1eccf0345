"""The fit's layouts follow what the real patches show."""

import numpy as np
import pytest

from dgan_blender.fit.content import coverage_targets, describe_targets, pool_coverages, real_coverages


def blobs(fraction, seed, size=128):
    """A grey image whose bright squares cover ``fraction`` of it."""
    rng = np.random.default_rng(seed)
    img = 0.2 + 0.02 * rng.standard_normal((size, size)).astype(np.float32)
    side = int(round(np.sqrt(fraction) * size))
    y, x = rng.integers(0, size - side, 2)
    img[y:y + side, x:x + side] = 0.8
    return img


def test_real_coverages_read_the_bright_fraction_of_whole_image_patches():
    images = [blobs(0.1, 0), blobs(0.3, 1)]
    cov = real_coverages(images, 128, 40, seed=0)
    assert np.all(np.diff(cov) >= 0)
    assert set(np.round(cov, 2)) <= {0.1, 0.3}
    assert 0 < (np.round(cov, 2) == 0.1).sum() < 40


def test_targets_follow_the_quantiles():
    t = coverage_targets(np.linspace(0.0, 1.0, 1001), 4)
    assert t == pytest.approx([0.125, 0.375, 0.625, 0.875], abs=1e-3)
    assert len(pool_coverages([blobs(0.2, 3)], 128, 5, seed=0)) == 5
    assert "median 0.500" in describe_targets(t)


def test_the_preset_range_when_matching_is_off():
    from dgan_blender.fit.api import layout_coverages
    from dgan_blender.fit.trainer import FitOptions

    opts = FitOptions(patch=64)
    assert layout_coverages([blobs(0.2, 1, 64)], opts, 3, match=False) is None
    assert opts.meta["layout_coverage"] == "the preset's coverage range"
    opts = FitOptions(patch=64)
    assert len(layout_coverages([blobs(0.2, 1, 64)], opts, 3, match=True)) == 3
    assert opts.meta["layout_coverage"].startswith("matched")
