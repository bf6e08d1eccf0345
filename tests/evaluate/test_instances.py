"""Instances from masks and from 3-class outputs, including the round trip on the real
manual masks (semantic labels derived from them -> post-processing -> the same instances)."""

import numpy as np
import pytest

from dgan_blender.annotate import semantic_mask
from dgan_blender.evaluate.instances import (mask_to_instances, probabilities_to_instances,
                                             semantic_to_instances)
from dgan_blender.evaluate.metrics import evaluate_pairs, match_instances

from .conftest import REAL, blobs


def test_masks_are_read_four_connected():
    mask = np.zeros((4, 4), np.uint8)
    mask[0, 0] = mask[1, 1] = 255  # diagonal neighbours: two particles
    mask[3, 2:4] = 255
    assert mask_to_instances(mask).max() == 3


def test_touching_discs_round_trip_exactly():
    inst = blobs((60, 90), [(30, 25), (30, 45), (30, 66)], 11)
    back = semantic_to_instances(semantic_mask(inst))
    m = match_instances(inst, back)
    assert (m.tp, m.fp, m.fn) == (3, 0, 0) and min(m.ious) == 1.0


def test_foreground_without_interior_becomes_its_own_instance():
    sem = np.zeros((10, 10), np.uint8)
    sem[2, 1:8] = 2  # a one-pixel-wide particle: all boundary, no seed
    out = semantic_to_instances(sem)
    assert out.max() == 1 and (out > 0).sum() == 7


def test_small_seeds_are_dropped_on_request():
    probs = np.zeros((3, 20, 20), np.float32)
    probs[0] = 1
    probs[:, 2:18, 2:18] = [[[0]], [[0]], [[1]]]
    probs[:, 5:15, 5:15] = [[[0]], [[1]], [[0]]]
    probs[:, 3, 3] = [0, 1, 0]  # a speck of interior in the boundary ring
    assert probabilities_to_instances(probs).max() == 2
    assert probabilities_to_instances(probs, min_seed_px=4).max() == 1


def test_small_instances_are_dropped_on_request_and_ids_stay_consecutive():
    sem = np.zeros((30, 30), np.uint8)
    sem[1:3, 1:3] = 1  # a 4 px speck
    sem[5:15, 5:15] = 2
    sem[6:14, 6:14] = 1  # a 100 px particle
    sem[20:24, 20:25] = 1  # 20 px: kept at min_area_px=20
    onehot = np.stack([sem == c for c in (0, 1, 2)]).astype(np.float32)
    assert probabilities_to_instances(onehot).max() == 3
    out = probabilities_to_instances(onehot, min_area_px=20)
    assert sorted(np.unique(out)) == [0, 1, 2]
    assert out[1, 1] == 0 and (out == out[10, 10]).sum() == 100 and (out == out[21, 21]).sum() == 20


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "masks").is_dir(), reason="real TiO2 data not present")
def test_round_trip_on_real_masks():
    import tifffile

    pairs = []
    for path in sorted((REAL / "masks").glob("*_m.tif")):
        gt = mask_to_instances(tifffile.imread(path))
        pairs.append((gt, semantic_to_instances(semantic_mask(gt))))
    m = evaluate_pairs(pairs)
    assert m["dsc"] == 1.0
    assert m["ap50"] > 0.96  # measured 0.972 (30 images)
    assert m["ap50_min20"] > 0.98  # measured 0.985
    assert m["pq"] > 0.97
