"""The prior re-estimated from a segmentation's particles (bootstrap by synthesis)."""

import math

import numpy as np
import pytest

from dgan_blender.config import load_config, preset_path
from dgan_blender.errors import DganError
from dgan_blender.geometry import generate_layout
from dgan_blender.prior.calibrate import COVER_CAP
from dgan_blender.prior.refine import refine
from dgan_blender.prior.segments import measure
from dgan_blender.prior.visible import visible_instances

TRUTH = ["image.width_px=256", "image.height_px=256", "image.pixel_size_nm=4.0", "particles.kind=sphere",
         'particles.diameter={kind="lognormal", median_nm=100.0, sigma_log=0.15, min_nm=50.0, max_nm=200.0}',
         "particles.coverage=0.15", "particles.coverage_max=0.3", "agglomerates.layers=2d",
         "particles.mesh_subdivisions=2"]


def _truth_instances(n=8):
    cfg = load_config("sio2-him", TRUTH)
    labs = [visible_instances(generate_layout(cfg, np.random.default_rng([s, 16]), s)) for s in range(n)]
    return cfg, labs


def test_given_labels_are_measured_as_they_are():
    cfg, labs = _truth_instances(1)
    m = measure(None, 1.0, labels=labs[0])
    off = [i for i in np.unique(labs[0])[1:] if not np.isin(i, np.concatenate(
        [labs[0][0], labs[0][-1], labs[0][:, 0], labs[0][:, -1]]))]
    areas = np.bincount(labs[0].ravel())[off]
    assert m.diameters_px.size == int((areas >= 20).sum())
    assert m.coverage == pytest.approx(float((labs[0] > 0).mean()))


def test_a_perfect_segmentation_gives_back_the_law(tmp_path):
    """Start from another preset's law (tio2-sem's 170 nm): the refined law is the true one;
    the stacking stays the preset's where footprints cannot tell (``calibrate.piles_coverage_needed``)."""
    cfg, labs = _truth_instances()
    tables, meta = refine(preset_path("tio2-sem"), labs, [4.0] * len(labs), seed=0, passes=3, layouts=6,
                          field_px=256)
    med = tables["particles"]["diameter"]["median_nm"]
    assert abs(med / 100.0 - 1) < 0.08, (med, meta["calibration"])
    # coverage 0.15-0.3: 3-D piles could show as much ground, so the preset's stacking stays
    check = next(e["stacking_check"] for e in meta["calibration"] if "stacking_check" in e)
    assert check["piles_need_coverage"] < COVER_CAP and tables["agglomerates"]["layers"] == "3d"
    assert meta["particles"] > 50
    again, _ = refine(preset_path("tio2-sem"), labs, [4.0] * len(labs), seed=0, passes=3, layouts=6, field_px=256)
    assert again == tables  # seeded


def test_too_few_particles_is_one_line():
    with pytest.raises(DganError, match="only 0 whole particles"):
        refine(preset_path("tio2-sem"), [np.zeros((64, 64), np.int32)], [4.0])
