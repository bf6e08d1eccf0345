import numpy as np
import pytest
from scipy import stats

from dgan_blender.config import SizeDistribution, load_config
from dgan_blender.distributions import cdf, mean_square, sample_sizes
from dgan_blender.errors import ConfigError

CASES = {
    "lognormal": SizeDistribution(kind="lognormal", median_nm=170, sigma_log=0.3, min_nm=60, max_nm=400),
    "gaussian": SizeDistribution(kind="gaussian", mean_nm=50, std_nm=8, min_nm=30, max_nm=70),
    "uniform": SizeDistribution(kind="uniform", min_nm=20, max_nm=40),
    "bimodal": load_config("sio2-him").particles.diameter,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_follow_the_distribution(name):
    d = CASES[name]
    x = sample_sizes(d, 3000, np.random.default_rng(1))
    assert x.min() >= d.min_nm and x.max() <= d.max_nm
    assert stats.kstest(x, lambda v: cdf(d, v)).pvalue > 0.01


def test_ks_detects_a_wrong_distribution():
    x = sample_sizes(CASES["lognormal"], 3000, np.random.default_rng(1))
    wrong = SizeDistribution(kind="lognormal", median_nm=150, sigma_log=0.3, min_nm=60, max_nm=400)
    assert stats.kstest(x, lambda v: cdf(wrong, v)).pvalue < 1e-6


def test_bimodal_has_two_modes():
    x = sample_sizes(CASES["bimodal"], 4000, np.random.default_rng(0))
    assert 0.55 < np.mean(x < 57.5) < 0.65  # weight of the first mode


def test_mean_square_matches_samples():
    for d in CASES.values():
        x = sample_sizes(d, 20000, np.random.default_rng(2))
        assert mean_square(d) == pytest.approx(np.mean(x ** 2), rel=0.02)


def test_seeded_and_impossible_truncation():
    d = CASES["gaussian"]
    assert np.array_equal(sample_sizes(d, 10, np.random.default_rng(0)), sample_sizes(d, 10, np.random.default_rng(0)))
    bad = SizeDistribution(kind="gaussian", mean_nm=50, std_nm=1, min_nm=500, max_nm=600)
    with pytest.raises(ConfigError, match="min_nm"):
        sample_sizes(bad, 10, np.random.default_rng(0))
