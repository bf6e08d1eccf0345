import numpy as np

from dgan_blender.evaluate.register import shift_between, shifted, valid_region


def _field(rng, shape=(200, 260)):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    mask = np.zeros(shape, bool)
    for _ in range(25):
        cy, cx, r = rng.uniform(20, shape[0] - 20), rng.uniform(20, shape[1] - 20), rng.uniform(5, 14)
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return mask


def test_finds_the_shift_between_opposite_contrasts():
    """An SE-like image (bright particles) and a transmission-like one (dark particles)
    of the same field, offset as the BAM twins are, register to the offset."""
    rng = np.random.default_rng(0)
    mask = _field(rng)
    se = 0.2 + 0.6 * mask + 0.05 * rng.standard_normal(mask.shape)
    tr = 0.8 - 0.7 * shifted(mask, 9, -6) + 0.05 * rng.standard_normal(mask.shape)
    dy, dx = shift_between(tr, se)
    assert (dy, dx) == (9, -6)
    moved = shifted(mask, dy, dx)
    region = valid_region(mask.shape, dy, dx)
    assert (moved[region] == shifted(mask, 9, -6)[region]).all()


def test_shifted_round_trip_and_region():
    a = np.arange(1, 21).reshape(4, 5)
    back = shifted(shifted(a, 1, -2), -1, 2)
    kept = np.zeros(a.shape, bool)
    kept[:3, 2:] = True  # what survives moving down 1, left 2 and back
    assert (back[kept] == a[kept]).all() and (back[~kept] == 0).all()
    assert valid_region(a.shape, 1, -2).sum() == 3 * 3
    assert (shifted(a, 0, 0) == a).all()
    assert (shifted(a, 1, 0)[1:] == a[:-1]).all() and (shifted(a, 1, 0)[0] == 0).all()
