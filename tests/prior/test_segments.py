import numpy as np

from dgan_blender.prior.foreground import foreground, pooled_threshold, prepared
from dgan_blender.prior.law import log_moments, power_exponent, statistics
from dgan_blender.prior.segments import measure, single_particles

from .conftest import draw_field


def _measured(touching, seed=0, n=8):
    rng = np.random.default_rng(seed)
    fields = [draw_field(rng, shape=(320, 320), median_px=18.0, sigma=0.25, count=35, touching=touching)
              for _ in range(n)]
    preps = [prepared(im, 1.0) for im, _ in fields]
    thr = pooled_threshold(preps)
    fgs = [foreground(p, thr) for p in preps]
    singles = np.concatenate([single_particles(f)[0] for f in fgs])
    r = float(np.median(singles)) / 2
    return [measure(f, r) for f in fgs], np.concatenate([t for _, t in fields])


def test_sizes_of_separate_discs_recovered():
    ms, truth = _measured(touching=0.0)
    d = np.concatenate([m.diameters_px for m in ms])
    assert abs(np.median(d) / np.median(truth) - 1) < 0.05
    _, s = log_moments(d, np.ones_like(d))
    assert abs(s - 0.25) < 0.06


def test_touching_discs_are_split():
    ms, truth = _measured(touching=0.5, seed=2)
    d = np.concatenate([m.diameters_px for m in ms])
    # a threshold alone would merge pairs (median up by ~40 %)
    assert abs(np.median(d) / np.median(truth) - 1) < 0.08
    assert 0.8 < d.size / truth.size < 1.2


def test_round_discs_look_round_and_unelongated():
    ms, _ = _measured(touching=0.0, seed=4, n=3)
    st = statistics(ms, [1.0] * len(ms), [(320, 320)] * len(ms), k_max=10)
    assert st["elong_q90"] < 1.25
    assert st["roundness"] > 0.93


def test_power_exponent_mle():
    rng = np.random.default_rng(0)
    k = np.arange(1, 41)
    p = k ** -1.8
    draws = rng.choice(k, size=4000, p=p / p.sum())
    assert abs(power_exponent(draws, 40) - 1.8) < 0.1
