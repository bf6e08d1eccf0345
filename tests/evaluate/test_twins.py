import numpy as np
import pytest

from dgan_blender.errors import DganError
from dgan_blender.evaluate.register import shifted
from dgan_blender.evaluate.sizes import diameters_px
from dgan_blender.evaluate.twins import iou, load_twins, minority_foreground, overlap, pair

from .conftest import REAL

TSEM = REAL.parent / "bam-tio2-tsem" / "images"


def _discs(shape, rng, n=30):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    mask = np.zeros(shape, bool)
    for _ in range(n):
        cy, cx, r = rng.uniform(15, shape[0] - 15), rng.uniform(15, shape[1] - 15), rng.uniform(5, 12)
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return mask


@pytest.mark.parametrize("dy, dx", [(9, -6), (-10, 5), (0, 3)])
def test_overlap_puts_the_moved_frame_on_the_fixed_one(dy, dx):
    a = np.arange(12 * 17).reshape(12, 17)
    fixed = shifted(a, dy, dx, fill=-1)  # a moved by (dy, dx)
    dst, src = overlap(a.shape, dy, dx)
    assert (fixed[dst] == a[src]).all()
    assert (fixed[dst] >= 0).all()  # no border fill inside the region
    assert fixed[dst].shape == (12 - abs(dy), 17 - abs(dx))
    assert (fixed >= 0).sum() == fixed[dst].size  # and all of the rest is fill


def test_overlap_refuses_a_shift_past_the_frame():
    with pytest.raises(DganError, match="no overlap"):
        overlap((10, 10), 10, 0)


def test_pair_registers_and_cuts_both_to_the_common_region():
    """A transmission-like field (dark particles) and its SE-like twin (bright, with a
    mask), offset as the BAM twins are and with an information bar of another height:
    the twin's mask lands exactly on the field's particles, nothing outside the shared
    region is kept, and the cut-off particles become border particles."""
    rng = np.random.default_rng(0)
    h, w = 180, 240
    truth = _discs((h + 20, w), rng)  # the field as the transmission detector sees it
    dy, dx = 9, -6
    twin_mask = shifted(truth, -dy, -dx)  # the SE frame is offset the other way
    se = (40 + 150 * twin_mask + rng.normal(0, 8, truth.shape)).clip(0, 255).astype(np.uint8)
    tr = (210 - 150 * truth + rng.normal(0, 8, truth.shape)).clip(0, 255).astype(np.uint8)
    t = pair("tr", tr[:h], "se", se[:h + 12], twin_mask[:h + 12], 7.344)  # twin's frame 12 rows taller
    assert t.shift == (dy, dx)
    assert t.box == (dy, h, 0, w + dx)
    assert t.image.shape == t.mask.shape == (h - dy, w + dx)
    assert (t.image == tr[dy:h, : w + dx]).all()
    assert (t.mask == truth[dy:h, : w + dx]).all()
    assert t.otsu_iou > 0.95 and t.otsu_iou_unregistered < 0.6
    assert t.record()["scored_px"] == t.image.size
    s = t.sample()
    assert s.image is t.image and s.pixel_size_nm == 7.344
    assert (s.instances > 0).sum() == t.mask.sum()
    # particles crossing the cut are left out of the size statistics
    whole = diameters_px(s.instances, min_area_px=1, drop_border=False).size
    assert diameters_px(s.instances, min_area_px=1).size < whole


def test_pair_refuses_frames_of_other_widths():
    a = np.zeros((20, 30), np.uint8)
    with pytest.raises(DganError, match="one size"):
        pair("a", a, "b", np.zeros((20, 31), np.uint8), np.zeros((20, 31), bool), 1.0)


def test_minority_foreground_takes_either_polarity():
    rng = np.random.default_rng(1)
    mask = _discs((120, 160), rng, n=15)
    assert mask.mean() < 0.5
    dark = (200 - 120 * mask + rng.normal(0, 5, mask.shape)).clip(0, 255).astype(np.uint8)
    bright = (255 - dark).astype(np.uint8)
    assert iou(minority_foreground(dark), mask) > 0.9
    assert iou(minority_foreground(bright), mask) > 0.9
    assert iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0


@pytest.mark.skipif(not (TSEM.is_dir() and (REAL / "masks").is_dir()), reason="BAM TSEM/SEM data not present")
def test_real_twins_register_and_agree():
    """Two BAM pairs (shifts of about 10 px were measured by hand on such pairs): the
    registered mask agrees with the TSEM particles far better than the unmoved one, and
    the information bar is gone from the scored region."""
    twins = load_twins(TSEM, REAL, [("1908251", "1908250"), ("1908301", "1908300")])
    for t in twins:
        assert max(abs(t.shift[0]), abs(t.shift[1])) <= 12
        assert t.image.shape == t.mask.shape
        assert t.box[1] <= 712 and t.image.shape[0] >= 700  # 768 rows less the bar and the shift
        assert t.otsu_iou > 0.8 and t.otsu_iou > t.otsu_iou_unregistered + 0.1
