"""Loader: layout detection, information-bar crop, pixel sizes, resampling, patches."""

import numpy as np
import pytest
import tifffile

from dgan_blender.errors import DganError
from dgan_blender.evaluate.data import detect_layout, load_annotated, load_images, resample
from dgan_blender.evaluate.train import IGNORE, draw_patches, prepare
from dgan_blender.micrograph import info_bar_rows

from .conftest import REAL


def test_layouts_are_detected(real_like, synthetic_like, tmp_path):
    assert detect_layout(real_like) == "real"
    assert detect_layout(synthetic_like) == "synthetic"
    with pytest.raises(DganError, match="not an annotated data set"):
        detect_layout(tmp_path)


def test_real_layout_crops_the_bar_and_keeps_three_particles(real_like):
    samples = load_annotated(real_like, pixel_size_nm=7.344)
    assert [s.name for s in samples] == ["a", "b"]
    for s in samples:
        assert s.bar_rows == 16 and s.image.shape == (80, 128) and s.instances.shape == (80, 128)
        assert s.instances.max() == 3 and s.pixel_size_nm == 7.344


def test_missing_pixel_size_names_the_file_and_the_fix(real_like):
    with pytest.raises(DganError, match=r"a\.tif: no pixel size.*--pixel-size-nm"):
        load_annotated(real_like)


def test_bar_override_and_named_subset(real_like):
    (s,) = load_annotated(real_like, names=["b"], bar_rows=0, pixel_size_nm=5.0)
    assert s.image.shape == (96, 128)
    with pytest.raises(DganError, match="no image named zz"):
        load_annotated(real_like, names=["zz"], pixel_size_nm=5.0)


def test_synthetic_layout_reads_pixel_size_from_the_record(synthetic_like):
    samples = load_annotated(synthetic_like)
    assert len(samples) == 2 and samples[0].pixel_size_nm == 14.688 and samples[0].bar_rows == 0
    assert samples[0].instances.dtype == np.int32 and samples[0].instances.max() == 3


def test_no_bar_on_plain_texture():
    rng = np.random.default_rng(0)
    assert info_bar_rows(rng.integers(20, 200, (120, 90)).astype(np.uint8)) == 0


def test_unannotated_images_folder(real_like):
    samples = load_images(real_like / "images", pixel_size_nm=7.0)
    assert len(samples) == 2 and samples[0].instances is None and samples[0].bar_rows == 16


def test_resample_keeps_label_ids():
    inst = np.zeros((40, 40), np.int32)
    inst[5:20, 5:20], inst[25:35, 22:38] = 7, 300
    half = resample(inst, 0.5, labels=True)
    assert half.shape == (20, 20) and set(np.unique(half)) == {0, 7, 300}
    assert resample(inst, 1.0, labels=True) is inst


def test_patches_are_seeded_and_padded(synthetic_like):
    data = prepare(load_annotated(synthetic_like), pixel_size_nm=14.688)
    x1, y1 = draw_patches(data, 4, 32, np.random.default_rng(3))
    x2, y2 = draw_patches(data, 4, 32, np.random.default_rng(3))
    assert x1.shape == (4, 1, 32, 32) and y1.shape == (4, 32, 32)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert set(np.unique(y1.numpy())) <= {0, 1, 2}
    _, y = draw_patches(data, 2, 80, np.random.default_rng(0))  # larger than the 64 px images
    assert (y.numpy() == IGNORE).any()


def test_prepare_resamples_to_training_pixel_size(synthetic_like):
    (im, sem), _ = prepare(load_annotated(synthetic_like), pixel_size_nm=7.344)
    assert im.shape == (128, 128) and sem.shape == (128, 128)
    assert abs(float(im.mean())) < 1e-4


@pytest.mark.skipif(not (REAL / "images").is_dir(), reason="real TiO2 data not present")
def test_real_tiff_metadata_and_bar():
    path = sorted((REAL / "images").glob("*.tif"))[0]
    (s,) = load_annotated(REAL, names=[path.stem])
    assert s.pixel_size_nm == pytest.approx(7.344)
    assert s.bar_rows == 56 and s.image.shape == (712, 1024)
    assert tifffile.imread(REAL / "masks" / f"{path.stem}_m.tif")[712:].max() == 0


def zeiss(path, nm=7.344, compression=None):
    """Rewrite a TIFF with a Zeiss CZ_SEM pixel size (and, optionally, compressed)."""
    text = f"\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = {nm} nm\r\n".encode()
    tifffile.imwrite(path, tifffile.imread(path), compression=compression, extratags=[(34118, "s", 0, text, True)])


def test_masks_without_the_bar_rows_load(real_like):
    """A published TSEM set: masks 712 rows for 768-row images (the bar left out)."""
    for name in ("a", "b"):
        path = real_like / "masks" / f"{name}_m.tif"
        tifffile.imwrite(path, tifffile.imread(path)[:80], compression="lzw")
    for bar_rows in (None, 16):
        samples = load_annotated(real_like, bar_rows=bar_rows, pixel_size_nm=7.344)
        assert all(s.bar_rows == 16 and s.instances.shape == (80, 128) and s.instances.max() == 3 for s in samples)
    path = real_like / "masks" / "a_m.tif"
    tifffile.imwrite(path, tifffile.imread(path)[:70])
    with pytest.raises(DganError, match=r"a_m\.tif: mask shape \(70, 128\) fits neither its image .*a\.tif"):
        load_annotated(real_like, pixel_size_nm=7.344)


def test_lzw_micrographs_and_metadata_precedence(real_like):
    for name in ("a", "b"):
        zeiss(real_like / "images" / f"{name}.tif", compression="lzw")
    assert [s.pixel_size_nm for s in load_annotated(real_like)] == [7.344, 7.344]
    notes = []
    samples = load_annotated(real_like, pixel_size_nm=5.0, log=notes.append)
    assert [s.pixel_size_nm for s in samples] == [5.0, 5.0] and len(notes) == 1
    assert "--pixel-size-nm 5 overrides the metadata's 7.344 nm/px" in notes[0]
    assert [s.pixel_size_nm for s in load_images(real_like / "images", pixel_size_nm=5.0, log=notes.append)] == [5, 5]
    assert len(notes) == 2


def test_eval_cli_pixel_size_precedence(real_like, tmp_path):
    """The note shows the flag overriding the test set's metadata; without metadata and
    without the flag, one line names the file and the flag. Both end before training."""
    from .test_train import dgan

    proc = dgan("eval", "--train", real_like, "--test", real_like, "--out", tmp_path / "e")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "a.tif: no pixel size in its metadata" in proc.stderr and "give --pixel-size-nm NM" in proc.stderr
    for name in ("a", "b"):
        zeiss(real_like / "images" / f"{name}.tif")
    proc = dgan("eval", "--train", real_like, "--test", tmp_path / "nowhere", "--pixel-size-nm", 5,
                "--out", tmp_path / "e")
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 2, proc.stderr
    assert "--pixel-size-nm 5 overrides the metadata's 7.344 nm/px" in lines[0] and "a.tif;" in lines[0]
    assert "not an annotated data set" in lines[1]
