import numpy as np
import pytest

from dgan_blender.prior.foreground import detrend, foreground, polarity, pooled_threshold, prepared

from .conftest import draw_field


@pytest.mark.parametrize("kind", ["bright", "dark"])
def test_polarity_of_drawn_fields(kind):
    rng = np.random.default_rng(0)
    ims = [draw_field(rng, polarity=kind, count=20)[0] for _ in range(3)]
    found, skew = polarity(ims)
    assert found == kind
    assert abs(skew) > 0.2


def test_detrend_removes_the_grounds_slope():
    rng = np.random.default_rng(5)
    img, _ = draw_field(rng, count=20)
    img = img + np.linspace(0, 0.2, img.shape[1], dtype=np.float32)  # 0.28 across the field in all
    ground = img - np.linspace(0, 0.28, img.shape[1]) < 0.4
    left, right = ground.copy(), ground.copy()
    left[:, 64:], right[:, :-64] = False, False
    flat = detrend(img)
    before = img[right].mean() - img[left].mean()
    after = flat[right].mean() - flat[left].mean()
    assert before > 0.15 and abs(after) < 0.2 * before


def test_foreground_matches_the_drawn_discs():
    rng = np.random.default_rng(1)
    img, _ = draw_field(rng, polarity="dark", count=25)
    truth = img < 0.45
    prep = prepared(img, -1.0)
    fg = foreground(prep, pooled_threshold([prep]))
    iou = (fg & truth).sum() / (fg | truth).sum()
    assert iou > 0.9
