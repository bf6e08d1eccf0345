"""Per-particle measurements on hand-made instance images."""

import math

import numpy as np
import pytest

from dgan_blender.evaluate.measure import particle_rows, touching_pairs

from .conftest import blobs


def test_equivalent_diameter_area_and_circularity():
    inst = blobs((80, 80), [(40, 40)], 15)
    (row,) = particle_rows("x", inst, pixel_size_nm=2.0)
    area = int((inst == 1).sum())
    assert row["area_px"] == area and row["area_nm2"] == pytest.approx(4.0 * area)
    assert row["equivalent_diameter_nm"] == pytest.approx(2 * math.sqrt(area / math.pi) * 2.0, abs=0.01)
    assert 0.85 < row["circularity"] <= 1.0
    assert row["on_border"] == 0 and row["touching_neighbours"] == 0
    assert row["centroid_x_px"] == pytest.approx(40, abs=0.01)


def test_elongated_particle_is_less_circular_and_border_flag():
    inst = np.zeros((30, 30), np.int32)
    inst[0:3, 5:25] = 1
    (row,) = particle_rows("x", inst, 1.0)
    assert row["circularity"] < 0.5 and row["on_border"] == 1


def test_touching_counts_direct_contact_and_one_pixel_separators():
    inst = np.zeros((20, 40), np.int32)
    inst[5:15, 2:10] = 1
    inst[5:15, 10:18] = 2  # touches 1 directly
    inst[5:15, 19:27] = 3  # one background column from 2
    inst[5:15, 33:38] = 4  # far away
    pairs = touching_pairs(inst)
    assert pairs == {1: {2}, 2: {1, 3}, 3: {2}}
    counts = {r["particle"]: r["touching_neighbours"] for r in particle_rows("x", inst, 1.0)}
    assert counts == {1: 1, 2: 2, 3: 1, 4: 0}


def test_diagonal_contact_is_touching():
    inst = np.zeros((10, 10), np.int32)
    inst[2:5, 2:5] = 1
    inst[5:8, 5:8] = 2
    assert touching_pairs(inst) == {1: {2}, 2: {1}}
