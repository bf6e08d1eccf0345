"""The TSEM benchmark's scoring, on fields built in memory (the run itself renders and
trains; the lead runs it, see the script's docstring)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import tsem_segmentation as bench  # noqa: E402
from dgan_blender.evaluate.instances import mask_to_instances  # noqa: E402
from dgan_blender.evaluate.twins import minority_foreground, pair  # noqa: E402


def _twin(seed, dy=6, dx=-4):
    rng = np.random.default_rng(seed)
    h, w = 160, 200
    yy, xx = np.mgrid[:h, :w]
    truth = np.zeros((h, w), bool)
    for cy, cx in rng.uniform(20, [h - 20, w - 20], size=(12, 2)):
        truth |= (yy - cy) ** 2 + (xx - cx) ** 2 <= rng.uniform(6, 11) ** 2
    from dgan_blender.evaluate.register import shifted

    twin_mask = shifted(truth, -dy, -dx)
    se = (40 + 150 * twin_mask + rng.normal(0, 8, truth.shape)).clip(0, 255).astype(np.uint8)
    tr = (210 - 150 * truth + rng.normal(0, 8, truth.shape)).clip(0, 255).astype(np.uint8)
    return pair(f"f{seed}", tr, f"t{seed}", se, twin_mask, 7.344), truth


def test_a_prediction_equal_to_the_field_scores_perfectly():
    twins = [_twin(s)[0] for s in (0, 1)]
    samples = [t.sample() for t in twins]
    r = bench.scores([(s.instances, s.instances) for s in samples], samples)
    assert r["dsc"] == pytest.approx(1.0) and r["ap50"] == pytest.approx(1.0) and r["pq"] == pytest.approx(1.0)
    assert r["median_error_pct"] == pytest.approx(0.0) and r["ks"] == pytest.approx(0.0)
    assert r["n_found"] == r["n_truth"] > 0


def test_a_prediction_of_the_unmoved_mask_scores_worse():
    """What registration buys: the twin mask left where it was, used as a prediction."""
    t, truth = _twin(2)
    s = t.sample()
    (y0, y1, x0, x1) = t.box
    from dgan_blender.evaluate.register import shifted

    unmoved = mask_to_instances(shifted(truth, -t.shift[0], -t.shift[1])[y0:y1, x0:x1])
    r = bench.scores([(s.instances, unmoved)], [s])
    assert r["dsc"] < 0.8


def test_agreement_summarises_the_twins():
    twins = [_twin(s, dy, dx)[0] for s, (dy, dx) in enumerate([(6, -4), (-3, 2), (0, 5)])]
    a = bench.agreement(twins, [minority_foreground(t.image) for t in twins])
    assert a["shift_rows"] == [-3, 6] and a["shift_cols"] == [-4, 5]
    assert a["otsu_iou_median"] > 0.9 > a["otsu_iou_unregistered_median"]
    assert 0.9 < a["otsu_dsc_pooled"] <= 1.0
    # the scored region is the frame less the shift's rows and columns
    assert a["scored_fraction_median"] == pytest.approx((160 - 3) * (200 - 2) / (160 * 200))


def test_table_prints_every_row_and_missing_sizes():
    row = {"look": "tio2-tsem", "fields": "all (2)", "dsc": 0.9, "ap50": 0.5, "pq": 0.4, "ap50_min20": 0.5,
           "pq_min20": 0.4, "median_error_pct": None, "wasserstein_nm": 3.0, "ks": 0.1, "n_found": 0, "n_truth": 9}
    text = bench.table({"a": row})
    assert "| tio2-tsem | all (2) | 0.900 |" in text and "n/a" in text and "0 / 9" in text
