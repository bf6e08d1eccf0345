"""The calibration's size statistic, its averaged answer and its stacking rule."""

import math

import pytest

import numpy as np

from dgan_blender.config import read_toml
from dgan_blender.prior.api import infer_prior
from dgan_blender.prior.calibrate import (COVER_CAP, MIN_SYN_SINGLES, Theta, mean_candidate, piles_coverage_needed,
                                          size_key)
from dgan_blender.prior.law import statistics

from .conftest import draw_field, write_pngs
from .test_segments import _measured


def _theta(median, sigma, cov, exponent, layers="3d"):
    return Theta(math.log(median), sigma, cov[0], cov[1], exponent, 20, 1.0, 1.5, 0.1, layers)


def test_the_mean_candidate_averages_sizes_and_coverages_in_logs():
    t = mean_candidate([_theta(100, 0.2, (0.01, 0.1), 1.0, "2d"), _theta(400, 0.8, (0.04, 0.4), 3.0, "2d")])
    assert math.exp(t.log_median) == pytest.approx(200.0, rel=1e-9)
    assert t.sigma == pytest.approx(0.4)
    assert (t.cov_lo, t.cov_hi) == (pytest.approx(0.02), pytest.approx(0.2))
    assert t.exponent == pytest.approx(2.0) and t.layers == "2d"


def test_single_particles_give_their_own_median():
    ms, truth = _measured(touching=0.0, seed=1, n=4)
    st = statistics(ms, [2.0] * len(ms), [(320, 320)] * len(ms), k_max=10)
    assert st["n_single"] > 50
    # separate discs: every particle is a single one, both medians are the drawn one's (2 nm/px)
    assert abs(math.exp(st["single_log_median"]) / (2.0 * np.median(truth)) - 1) < 0.06
    assert abs(st["single_log_median"] - st["log_median"]) < 0.03


def test_sizes_are_compared_by_singles_only_where_asked_and_both_sides_have_them():
    real = {"log_median": 5.0, "single_log_median": 5.2, "n_single": 100}
    many = {"log_median": 5.1, "single_log_median": 5.3, "n_single": MIN_SYN_SINGLES}
    few = {**many, "n_single": MIN_SYN_SINGLES - 1}
    assert size_key(real, many, True) == "single_log_median"
    assert size_key(real, many, False) == "log_median"
    assert size_key(real, few, True) == "log_median"
    assert size_key({"log_median": 5.0}, many, True) == "log_median"


def test_the_written_law_is_the_mean_of_the_passes_after_the_first(disc_folder, tmp_path):
    out = tmp_path / "m.toml"
    meta = infer_prior(disc_folder, out, base="sio2-him", pixel_size_nm=5.0, seed=0, passes=4, layouts=3,
                       render=False)
    passes = [e for e in meta["calibration"] if isinstance(e.get("pass"), int)]
    assert [e["pass"] for e in passes] == [0, 1, 2, 3]
    assert meta["written_pass"] == "mean" and meta["calibration"][-1]["of_passes"] == [1, 2, 3]
    want = math.exp(np.mean([math.log(e["median_nm"]) for e in passes[1:]]))
    written = read_toml(out)["particles"]["diameter"]["median_nm"]
    assert abs(written / want - 1) < 2e-3  # the passes' medians are recorded rounded to 0.01 nm


def test_piles_need_the_ground_they_hide_asked_for_again():
    """The coverage 3-D piles would need: the candidate's median coverage scaled by what
    its layouts hid (real over synthetic coverage, in logs); a monolayer needs no check."""
    piles = _theta(100, 0.2, (0.1, 0.4), 2.0, "3d")
    real, syn = {"cov_mu": math.log(0.3)}, {"cov_mu": math.log(0.15)}
    assert piles_coverage_needed(piles, real, syn) == pytest.approx(2 * 0.2, rel=1e-9)
    assert piles_coverage_needed(_theta(100, 0.2, (0.1, 0.4), 2.0, "2d"), real, syn) == 0.0


@pytest.fixture
def dense_folder(tmp_path):
    """Discs touching in one dense layer (~40 % of the ground), as a monolayer of spheres looks."""
    rng = np.random.default_rng(5)
    return write_pngs(tmp_path / "dense", [draw_field(rng, count=200, touching=0.9)[0] for _ in range(4)])


def test_a_monolayer_too_dense_for_piles_is_written_2d_and_a_sparse_field_keeps_the_base(dense_folder, disc_folder,
                                                                                        tmp_path):
    """Base tio2-sem stacks in 3-D. Piles hiding ~40 % covered ground would have to be asked
    for more than the cap: the prior writes a monolayer and says so; sparse discs keep 3-D."""
    meta = infer_prior(dense_folder, tmp_path / "d.toml", base="tio2-sem", pixel_size_nm=5.0, seed=0, passes=2,
                       layouts=3, render=False)
    check = next(e["stacking_check"] for e in meta["calibration"] if "stacking_check" in e)
    assert check["piles_need_coverage"] > COVER_CAP and check["chosen"] == "2d"
    assert read_toml(tmp_path / "d.toml")["agglomerates"]["layers"] == "2d"
    assert all(e["layers"] == "2d" for e in meta["calibration"] if "pass" in e)
    meta = infer_prior(disc_folder, tmp_path / "s.toml", base="tio2-sem", pixel_size_nm=5.0, seed=0, passes=2,
                       layouts=3, render=False)
    check = next(e["stacking_check"] for e in meta["calibration"] if "stacking_check" in e)
    assert check["piles_need_coverage"] < COVER_CAP and check["chosen"] == "3d"
    assert read_toml(tmp_path / "s.toml")["agglomerates"]["layers"] == "3d"
    assert meta["layers_rule"].startswith("the base's stacking (3d)")


def test_a_given_stacking_is_written_unchecked(dense_folder, tmp_path):
    meta = infer_prior(dense_folder, tmp_path / "g.toml", base="tio2-sem", pixel_size_nm=5.0, seed=0, passes=1,
                       layouts=3, render=False, layers="3d")
    assert read_toml(tmp_path / "g.toml")["agglomerates"]["layers"] == "3d"
    assert meta["layers_rule"] == "3d given with --layers"
    assert not any("stacking_check" in e for e in meta["calibration"])
