import cv2
import numpy as np
import pytest
import tifffile

from dgan_blender.errors import DganError
from dgan_blender.fit.real import load_real, otsu_threshold, patches_with_particles
from dgan_blender.micrograph import info_bar_rows, list_micrographs, read_micrograph


def read_grey(path):
    return read_micrograph(path, bar_rows=0).grey


def metadata_pixel_size_nm(path):
    return read_micrograph(path).metadata_pixel_size_nm


def test_bit_depths_and_rgb_read_as_the_same_grey(tmp_path, make_micrograph):
    img = make_micrograph()
    cv2.imwrite(str(tmp_path / "a8.png"), np.rint(img * 255).astype(np.uint8))
    cv2.imwrite(str(tmp_path / "a16.png"), np.rint(img * 65535).astype(np.uint16))
    rgb16 = np.repeat(np.rint(img * 65535).astype(np.uint16)[..., None], 3, axis=2)
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb16, photometric="rgb")
    cv2.imwrite(str(tmp_path / "a.jpg"), np.rint(img * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 100])
    for name, tol in (("a8.png", 0.003), ("a16.png", 1e-4), ("rgb16.tif", 1e-3), ("a.jpg", 0.05)):
        out = read_grey(tmp_path / name)
        assert out.dtype == np.float32 and out.shape == img.shape
        assert np.abs(out - img).mean() < tol, name


@pytest.mark.parametrize("light", [False, True])
def test_info_bar_found_and_cropped(tmp_path, light, make_micrograph):
    img = make_micrograph(bar=30, light_bar=light)
    assert info_bar_rows(img) == 30
    assert info_bar_rows(make_micrograph()) == 0
    dark = np.zeros((200, 240))  # no edge to a bar: not a bar
    assert info_bar_rows(dark) == 0
    cv2.imwrite(str(tmp_path / "x.png"), np.rint(img * 255).astype(np.uint8))
    (im,) = load_real(tmp_path, target_nm=5.0, pixel_size_nm=5.0, min_size_px=64)
    assert im.image.shape == (170, 240)
    (im,) = load_real(tmp_path, target_nm=5.0, pixel_size_nm=5.0, crop_bottom_px=10, min_size_px=64)
    assert im.image.shape == (190, 240)


def test_fei_pixel_size_and_resampling(tmp_path, make_micrograph):
    img = np.rint(make_micrograph() * 255).astype(np.uint8)
    ini = "[Scan]\r\nPixelWidth=1e-008\r\nPixelHeight=1e-008\r\n"
    tifffile.imwrite(tmp_path / "fei.tif", img, extratags=[(34682, "s", 0, ini, True)])
    assert metadata_pixel_size_nm(tmp_path / "fei.tif") == pytest.approx(10.0)
    (im,) = load_real(tmp_path, target_nm=5.0, min_size_px=64)  # 10 nm/px -> 5 nm/px: twice the pixels
    assert im.image.shape == (400, 480) and im.pixel_size_nm == pytest.approx(10.0)
    (im,) = load_real(tmp_path, target_nm=20.0, min_size_px=64)
    assert im.image.shape == (100, 120)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(DganError, match="no micrographs"):
        list_micrographs(tmp_path)
    (tmp_path / "broken.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(DganError, match="broken.tif"):
        load_real(tmp_path, 5.0, 5.0)
    (tmp_path / "broken.tif").unlink()
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((100, 100), np.uint8))
    with pytest.raises(DganError, match="small.png.*smaller than a 256 px patch"):
        load_real(tmp_path, 5.0, 5.0)
    with pytest.raises(DganError, match="small.png.*pixel size"):
        load_real(tmp_path, 5.0, min_size_px=64)
    with pytest.raises(DganError, match="no micrographs"):
        list_micrographs(str(tmp_path / "*.tif"))


def test_patches_contain_particles_and_are_augmented(make_micrograph):
    images = [make_micrograph(seed=s).astype(np.float32) for s in range(3)]
    thr = otsu_threshold(images)
    assert 0.2 < thr < 0.8
    p = patches_with_particles(images, 64, 20, np.random.default_rng(0), min_fg=0.05)
    assert p.shape == (20, 64, 64) and p.dtype == np.float32
    assert all((x > thr).mean() >= 0.05 for x in p)
    again = patches_with_particles(images, 64, 20, np.random.default_rng(0), min_fg=0.05)
    assert np.array_equal(p, again)  # seeded


def test_zeiss_metadata_and_bar_on_real_data(real_dir):
    files = list_micrographs(real_dir)[:2]
    assert metadata_pixel_size_nm(files[0]) == pytest.approx(7.344)
    bar = info_bar_rows(read_grey(files[0]))
    assert 40 <= bar <= 70
    ims = load_real(str(real_dir / "19082[5]*.tif"), target_nm=7.344, min_size_px=256)
    assert ims and all(im.image.shape == (768 - bar, 1024) for im in ims)
    assert all(im.image[-5:].mean() > 0.05 for im in ims)  # no black bar left at the bottom


def test_lzw_tiff_loads_for_the_fit(tmp_path, make_micrograph):
    """LZW is the default of several instruments and of ImageJ exports."""
    img = make_micrograph(bar=30)
    tifffile.imwrite(tmp_path / "lzw.tif", np.rint(img * 65535).astype(np.uint16), compression="lzw", predictor=True)
    (im,) = load_real(tmp_path, target_nm=5.0, pixel_size_nm=5.0, min_size_px=64)
    assert im.image.shape == (170, 240) and np.abs(im.image - img[:170]).max() < 1e-4


@pytest.mark.parametrize("unit", ["\\u00B5m", "\\u03BCm", "um", "micron"])
def test_greek_and_latin_micro_signs_give_the_same_pixel_size(tmp_path, make_micrograph, unit):
    """The fit path used to read a Greek-mu 'μm' as nm: a pixel size 1000x off."""
    tifffile.imwrite(tmp_path / "ij.tif", np.rint(make_micrograph() * 255).astype(np.uint8), imagej=True,
                     resolution=(1 / 0.01, 1 / 0.01), metadata={"unit": unit})
    (im,) = load_real(tmp_path, target_nm=5.0, min_size_px=64)
    assert im.pixel_size_nm == pytest.approx(10.0, rel=1e-4) and im.image.shape == (400, 480)


def test_given_pixel_size_overrides_the_metadata_with_one_note(tmp_path, make_micrograph):
    img = np.rint(make_micrograph() * 255).astype(np.uint8)
    tifffile.imwrite(tmp_path / "fei.tif", img, extratags=[(34682, "s", 0, "[Scan]\r\nPixelWidth=1e-008\r\n", True)])
    notes = []
    (im,) = load_real(tmp_path, target_nm=5.0, pixel_size_nm=5.0, min_size_px=64, log=notes.append)
    assert im.pixel_size_nm == 5.0 and im.image.shape == (200, 240)  # not resampled: 5 nm/px as given
    assert len(notes) == 1 and "--pixel-size-nm 5 overrides the metadata's 10 nm/px" in notes[0]
