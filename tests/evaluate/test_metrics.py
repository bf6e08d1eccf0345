"""Metrics on hand-made masks whose answers are worked out by hand."""

import numpy as np
import pytest

from dgan_blender.evaluate.metrics import drop_small, evaluate_pairs, match_instances, panoptic


def squares(shape, boxes):
    """Label image with instance k+1 filling boxes[k] = (y0, y1, x0, x1)."""
    out = np.zeros(shape, np.int32)
    for k, (y0, y1, x0, x1) in enumerate(boxes):
        out[y0:y1, x0:x1] = k + 1
    return out


def test_perfect_prediction_scores_one():
    gt = squares((20, 20), [(0, 5, 0, 5), (10, 15, 10, 15)])
    pred = np.where(gt == 1, 7, np.where(gt == 2, 3, 0))  # other ids, same masks
    m = evaluate_pairs([(gt, pred)])
    assert m["dsc"] == 1.0 and m["ap50"] == 1.0 and m["pq"] == 1.0 and m["n_test_images"] == 1


def test_hand_counted_matching():
    # gt: A 10x10 (100 px), B 10x10; pred: A shifted by 2 columns (IoU 80/120), B missed,
    # plus a false positive C.
    gt = squares((30, 40), [(0, 10, 0, 10), (15, 25, 15, 25)])
    pred = squares((30, 40), [(0, 10, 2, 12), (0, 5, 30, 35)])
    m = match_instances(gt, pred)
    assert (m.tp, m.fp, m.fn) == (1, 1, 1)
    assert m.ious == pytest.approx([80 / 120])
    assert m.ap50 == pytest.approx(1 / 3)
    pq = panoptic([m])
    assert pq["sq"] == pytest.approx(2 / 3)
    assert pq["rq"] == pytest.approx(1 / (1 + 0.5 + 0.5))
    assert pq["pq"] == pytest.approx(2 / 3 * 0.5)


def test_iou_exactly_half_is_not_a_match():
    gt = squares((10, 10), [(0, 4, 0, 4)])  # 16 px
    pred = squares((10, 10), [(0, 4, 0, 6)])  # 24 px, overlap 16, union 24 -> 2/3
    assert match_instances(gt, pred).tp == 1
    pred = squares((10, 10), [(0, 4, 0, 8)])  # union 32 -> IoU exactly 0.5
    assert match_instances(gt, pred).tp == 0


def test_dsc_is_pooled_over_pixels_not_averaged():
    gt1 = squares((10, 10), [(0, 10, 0, 10)])  # 100 px, perfectly predicted
    gt2 = squares((10, 10), [(0, 1, 0, 2)])  # 2 px, 1 px predicted
    pred2 = squares((10, 10), [(0, 1, 0, 1)])
    m = evaluate_pairs([(gt1, gt1), (gt2, pred2)])
    assert m["dsc"] == pytest.approx((200 + 2) / (200 + 3))


def test_ap50_mean_over_images_and_pq_pooled():
    gt = squares((10, 20), [(0, 5, 0, 5), (0, 5, 10, 15)])
    empty = np.zeros_like(gt)
    # image 1 perfect (AP 1), image 2 everything missed (AP 0)
    m = evaluate_pairs([(gt, gt), (gt, empty)])
    assert m["ap50"] == pytest.approx(0.5)
    assert m["tp"] == 2 and m["fn"] == 2 and m["fp"] == 0
    assert m["pq"] == pytest.approx(1.0 * 2 / (2 + 1))


def test_empty_image_on_both_sides_counts_as_perfect():
    z = np.zeros((5, 5), np.int32)
    assert match_instances(z, z).ap50 == 1.0


def test_min_size_drops_fragments_from_both_sides():
    gt = squares((30, 30), [(0, 10, 0, 10), (20, 21, 20, 21)])  # 100 px + a 1-px fragment
    pred = squares((30, 30), [(0, 10, 0, 10), (25, 28, 25, 28)])  # + a 9-px false positive
    m = evaluate_pairs([(gt, pred)])
    assert m["ap50"] == pytest.approx(1 / 3)
    assert m["ap50_min20"] == 1.0 and m["pq_min20"] == 1.0
    assert m["fp_min20"] == 0 and m["fn_min20"] == 0


def test_drop_small_keeps_ids():
    inst = squares((10, 10), [(0, 1, 0, 1), (2, 10, 2, 10)])
    out = drop_small(inst, 20)
    assert set(np.unique(out)) == {0, 2}


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        match_instances(np.zeros((4, 4), int), np.zeros((4, 5), int))
