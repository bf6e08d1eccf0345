import numpy as np
import pytest

from dgan_blender.measure.summary import bootstrap_ci, elongations, size_statistics


def test_bootstrap_ci_contains_sample_median_and_is_seeded():
    d = np.random.default_rng(3).lognormal(np.log(170), 0.3, 400)
    lo, hi = bootstrap_ci(d, lambda x: np.median(x, axis=-1), seed=7)
    assert lo < np.median(d) < hi
    assert hi - lo < 0.2 * np.median(d)  # a real interval, not the whole range
    assert (lo, hi) == bootstrap_ci(d, lambda x: np.median(x, axis=-1), seed=7)
    assert (lo, hi) != bootstrap_ci(d, lambda x: np.median(x, axis=-1), seed=8)


def test_interval_narrows_with_more_particles():
    rng = np.random.default_rng(0)
    med = lambda x: np.median(x, axis=-1)  # noqa: E731
    small = bootstrap_ci(rng.normal(100, 20, 50), med, seed=0)
    large = bootstrap_ci(rng.normal(100, 20, 2000), med, seed=0)
    assert large[1] - large[0] < 0.5 * (small[1] - small[0])


def test_size_statistics_every_figure_inside_its_interval():
    d = np.random.default_rng(1).gamma(9, 20, 300)
    stats = size_statistics(d, seed=0)
    assert stats["n"] == 300
    assert stats["median_nm"]["value"] == round(float(np.median(d)), 2)
    assert stats["d90_nm"]["value"] == round(float(np.percentile(d, 90)), 2)
    for key in ("median_nm", "mean_nm", "d10_nm", "d50_nm", "d90_nm"):
        lo, hi = stats[key]["ci95"]
        assert lo <= stats[key]["value"] <= hi, key
    assert stats == size_statistics(d, seed=0)


def test_no_particles_gives_empty_statistics():
    stats = size_statistics([], seed=0)
    assert stats["n"] == 0 and stats["median_nm"]["value"] is None


def test_elongation_of_disc_and_ellipse():
    yy, xx = np.mgrid[:80, :80]
    inst = np.zeros((80, 80), np.int32)
    inst[(yy - 20) ** 2 + (xx - 20) ** 2 <= 100] = 1
    inst[((yy - 55) / 6.0) ** 2 + ((xx - 50) / 18.0) ** 2 <= 1] = 2
    e = elongations(inst)
    assert abs(e[1] - 1.0) < 0.05
    assert abs(e[2] - 3.0) < 0.2


def test_one_huge_object_does_not_stretch_the_size_histogram():
    from dgan_blender.measure.figures import drawn_limit, size_histogram

    rng = np.random.default_rng(0)
    d = np.append(rng.lognormal(np.log(170), 0.3, 3000), 1400.0)
    top = drawn_limit(d)
    assert np.percentile(d, 99) < top < 600  # the distribution fills the axis; the outlier is off it
    assert drawn_limit(np.full(50, 100.0)) == pytest.approx(110.0)
    assert size_histogram(d, size_statistics(d, seed=0))[:8] == b"\x89PNG\r\n\x1a\n"
