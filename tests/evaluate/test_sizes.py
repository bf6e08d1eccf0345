import numpy as np
import pytest

from dgan_blender.evaluate import sizes


def _disc(shape, cy, cx, r):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_diameters_drop_border_and_specks():
    mask = np.zeros((100, 100), np.uint8)
    mask[_disc(mask.shape, 50, 50, 10)] = 255  # inner disc, area ~ pi r^2
    mask[_disc(mask.shape, 0, 0, 8)] = 255     # cut by the border
    mask[10:13, 80:83] = 255                   # 9 px speck
    d = sizes.mask_diameters_nm(mask, pixel_size_nm=2.0)
    assert d.shape == (1,)
    assert d[0] == pytest.approx(2 * 2 * 10, rel=0.03)


def test_one_pixel_line_separates_touching_particles():
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 10:50] = 1
    mask[:, 30] = 0  # the manual masks' separator
    assert sizes.mask_diameters_nm(mask, 1.0).size == 2


def test_compare_identical_and_shifted():
    rng = np.random.default_rng(0)
    a = rng.lognormal(np.log(150), 0.3, 500)
    same = sizes.compare(a, a)
    assert same["median_error_pct"] == 0 and same["wasserstein_nm"] == 0 and same["ks"] == 0
    shifted = sizes.compare(a * 1.1, a)
    assert shifted["median_error_pct"] == pytest.approx(10.0)
    assert shifted["wasserstein_nm"] == pytest.approx(0.1 * a.mean(), rel=1e-6)
    assert 0 < shifted["ks"] < 1
    empty = sizes.compare([], a)
    assert np.isnan(empty["median_error_pct"]) and empty["n_found"] == 0


def test_eval_size_comparison_pools_images_at_their_pixel_size(real_like):
    from dgan_blender.evaluate.data import load_annotated
    from dgan_blender.evaluate.run import size_comparison

    samples = load_annotated(real_like, pixel_size_nm=7.344)
    truth = [s.instances for s in samples]
    same = size_comparison(samples, truth)
    assert same["median_error_pct"] == 0 and same["wasserstein_nm"] == 0 and same["n_truth"] == same["n_found"]
    assert same["n_truth"] == sum(sizes.instance_diameters_nm(t, 7.344).size for t in truth) > 0
    import scipy.ndimage as ndi

    grown = [ndi.grey_dilation(t, size=3) for t in truth]  # every particle one pixel wider
    worse = size_comparison(samples, grown)
    assert worse["median_error_pct"] > 0 and worse["wasserstein_nm"] > 0
    empty = size_comparison(samples, [np.zeros_like(t) for t in truth])
    assert empty["median_error_pct"] is None and empty["n_found"] == 0  # valid JSON, not NaN
