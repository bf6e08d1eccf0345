"""The crowded share of the chain's training set: denser fields of the same particles."""

import math

import numpy as np

from dgan_blender.config import load_config
from dgan_blender.geometry import generate_layout
from dgan_blender.measure.crowded import EXPONENT, MAX_SIZE, crowded


def test_upper_half_of_the_coverage_range_and_larger_agglomerates():
    cfg = load_config("tio2-sem", ["particles.coverage=0.02", "particles.coverage_max=0.32",
                                   "agglomerates.size_exponent=2.3", "agglomerates.max_size=18",
                                   'agglomerates.layers="2d"'])
    out = crowded(cfg)
    assert math.isclose(out.particles.coverage, 0.08) and out.particles.coverage_max == 0.32
    assert out.agglomerates.size_exponent == EXPONENT and out.agglomerates.max_size == MAX_SIZE
    assert out.agglomerates.layers == "3d"
    assert out.particles.diameter == cfg.particles.diameter and out.particles.shape == cfg.particles.shape
    assert cfg.particles.coverage == 0.02 and cfg.agglomerates.size_exponent == 2.3  # the input is not changed


def test_values_already_crowded_and_fixed_counts_are_kept():
    cfg = load_config("tio2-sem", ["agglomerates.size_exponent=0.5", "agglomerates.max_size=60"])
    out = crowded(cfg)
    assert out.agglomerates.size_exponent == 0.5 and out.agglomerates.max_size == 60
    fixed = load_config("sio2-him", ["particles.count=30"])
    assert fixed.particles.count > 0
    assert crowded(fixed).particles == fixed.particles


def test_crowded_fields_hold_more_touching_particles():
    cfg = load_config("tio2-sem", ["image.width_px=256", "image.height_px=256", "agglomerates.size_exponent=2.3",
                                   "agglomerates.max_size=18", "particles.coverage=0.02", "particles.coverage_max=0.25"])

    def agglomerated(c):
        n = []
        for s in range(12):
            lay = generate_layout(c, np.random.default_rng(s), s)
            labels = np.array([p.agglomerate for p in lay.particles])
            n.append(sum(int((labels == k).sum()) for k in np.unique(labels) if (labels == k).sum() > 1))
        return sum(n)

    assert agglomerated(crowded(cfg)) > 2 * agglomerated(cfg)
