"""The one micrograph reader: compressions, bit depths, channels, vendor pixel sizes,
the unit table, the information bar, masks with and without the bar, bad files."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

from dgan_blender.errors import DganError
from dgan_blender.micrograph import (info_bar_rows, list_micrographs, mask_for, read_all, read_mask,
                                     read_micrograph, to_nm)
from dgan_blender.micrograph import metadata

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def frame(h=96, w=128, seed=0):
    """A float 0..1 texture with bright discs: not flat anywhere, so no bar is found."""
    rng = np.random.default_rng(seed)
    img = 0.3 + 0.05 * rng.standard_normal((h, w))
    yy, xx = np.mgrid[:h, :w]
    for cy, cx in ((30, 40), (60, 90)):
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < 144] = 0.8
    return np.clip(img, 0, 1)


def quantise(img, dtype):
    if dtype == np.float32:
        return img.astype(np.float32)
    return np.rint(img * np.iinfo(dtype).max).astype(dtype)


def codecs():
    import imagecodecs

    out = [None, "lzw", "deflate", "packbits", "lzma"]
    return out + (["zstd"] if imagecodecs.ZSTD.available else [])


@pytest.mark.parametrize("compression, dtype", [(c, d) for c in codecs() for d in (np.uint8, np.uint16, np.float32)
                                                 if not (c == "packbits" and d == np.float32)])
def test_every_compression_and_depth_reads_the_same_grey(tmp_path, compression, dtype):
    img = frame()
    data = quantise(img, dtype)
    tifffile.imwrite(tmp_path / "x.tif", data, compression=compression,
                     predictor=compression in ("lzw", "deflate", "zstd") and dtype != np.float32)
    m = read_micrograph(tmp_path / "x.tif", pixel_size_nm=5.0)
    assert m.grey.dtype == np.float32 and m.grey.shape == img.shape and m.bar_rows == 0
    tol = {np.uint8: 0.5 / 255, np.uint16: 0.5 / 65535, np.float32: 1e-6}[dtype]
    assert np.abs(m.grey - img).max() <= tol + 1e-7


def test_lossy_jpeg_in_tiff_and_32_bit_integers(tmp_path):
    img = frame()
    tifffile.imwrite(tmp_path / "j.tif", quantise(img, np.uint8), compression="jpeg")
    assert np.abs(read_micrograph(tmp_path / "j.tif").grey - img).mean() < 0.02
    u32 = (img * 4000).astype(np.uint32) + 100  # 32-bit: no agreed full scale, stretched min..max
    tifffile.imwrite(tmp_path / "u32.tif", u32, compression="lzw")
    g = read_micrograph(tmp_path / "u32.tif").grey
    assert g.min() == 0.0 and g.max() == 1.0
    assert np.corrcoef(g.ravel(), img.ravel())[0, 1] > 0.999


@pytest.mark.parametrize("planar", ["contig", "separate"])
def test_rgb_and_rgba_become_grey(tmp_path, planar):
    img = frame()
    grey8 = quantise(img, np.uint8)
    rgb = np.stack([grey8, grey8, grey8], -1)
    rgba = np.concatenate([rgb, np.full(grey8.shape + (1,), 7, np.uint8)], -1)  # alpha must not leak in
    for name, data, extra in (("rgb.tif", rgb, {}), ("rgba.tif", rgba, {"extrasamples": ["unassalpha"]})):
        arr = np.moveaxis(data, -1, 0) if planar == "separate" else data
        tifffile.imwrite(tmp_path / name, arr, photometric="rgb", planarconfig=planar, compression="lzw", **extra)
        g = read_micrograph(tmp_path / name).grey
        assert g.shape == img.shape and np.abs(g - grey8 / 255.0).max() < 1e-3, name


def test_palette_and_white_is_zero_tiffs(tmp_path):
    idx = quantise(frame(), np.uint8)
    inverted = np.tile(np.linspace(65535, 0, 256).astype(np.uint16), (3, 1))
    tifffile.imwrite(tmp_path / "pal.tif", idx, photometric="palette", colormap=inverted)
    m = read_micrograph(tmp_path / "pal.tif")
    assert np.abs(m.grey - (1 - idx / 255.0)).max() < 1e-3 and m.source_dtype == "uint8"
    tifffile.imwrite(tmp_path / "white0.tif", idx, photometric="miniswhite")
    assert np.abs(read_micrograph(tmp_path / "white0.tif").grey - (1 - idx / 255.0)).max() < 1e-6


def test_png_jpeg_bmp_through_opencv(tmp_path):
    img = frame()
    cv2.imwrite(str(tmp_path / "a.png"), quantise(img, np.uint16))
    cv2.imwrite(str(tmp_path / "b.bmp"), quantise(img, np.uint8))
    cv2.imwrite(str(tmp_path / "c.jpg"), quantise(img, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 100])
    rgba = cv2.cvtColor(quantise(img, np.uint8), cv2.COLOR_GRAY2BGRA)
    rgba[..., 3] = 0
    cv2.imwrite(str(tmp_path / "d.png"), rgba)
    for name, tol in (("a.png", 1e-4), ("b.bmp", 0.003), ("c.jpg", 0.01), ("d.png", 0.003)):
        g = read_micrograph(tmp_path / name).grey
        assert g.shape == img.shape and np.abs(g - img).mean() < tol, name
    assert [p.name for p in list_micrographs(tmp_path)] == ["a.png", "b.bmp", "c.jpg", "d.png"]


SPELLINGS = ["µm", "μm", "um", "micron", "microns", "micrometre", "\\u00B5m", "\\u03BCm", "Âµm", "UM"]


@pytest.mark.parametrize("unit", SPELLINGS)
def test_every_micrometre_spelling_is_1000_nm(unit):
    assert to_nm(7.344e-3, unit) == pytest.approx(7.344)


def test_unit_table_other_units_and_unknowns():
    assert "\u00b5" != "\u03bc"  # the two micro signs really are different characters
    for unit, nm in (("nm", 1), ("pm", 1e-3), ("fm", 1e-6), ("Å", 0.1), ("\u212b", 0.1), ("A", 0.1),
                     ("angstrom", 0.1), ("mm", 1e6), ("m", 1e9), ("metre", 1e9), ("cm", 1e7)):
        assert to_nm(2.0, unit) == pytest.approx(2 * nm), unit
    for unit in ("pixel", "", "inch-ish", "furlong"):
        assert to_nm(2.0, unit) is None, unit
    assert to_nm(0.0, "nm") is None and to_nm("n/a", "nm") is None


@pytest.mark.parametrize("unit", ["\\u00B5m", "\\u03BCm", "um", "micron", "nm"])
def test_imagej_resolution_and_unit(tmp_path, unit):
    per_px = 7.344 if unit == "nm" else 7.344e-3
    tifffile.imwrite(tmp_path / "ij.tif", quantise(frame(), np.uint16), imagej=True, compression="lzw",
                     resolution=(1 / per_px, 1 / per_px), metadata={"unit": unit})
    m = read_micrograph(tmp_path / "ij.tif")
    assert m.metadata_pixel_size_nm == pytest.approx(7.344, rel=1e-4) and "ImageJ" in m.metadata_source


@pytest.mark.parametrize("unit, value", [(b"nm", b"7.344"), (b"\xb5m", b"0.007344"), (b"pm", b"7344")])
def test_zeiss_cz_sem_tag(tmp_path, unit, value):
    text = b"\r\n".join([b"", b"AP_PIXEL_SIZE", b"Pixel Size = 99 nm", b"AP_IMAGE_PIXEL_SIZE",
                         b"Image Pixel Size = " + value + b" " + unit, b""])
    tifffile.imwrite(tmp_path / "z.tif", quantise(frame(), np.uint8), extratags=[(34118, "s", 0, text, True)])
    m = read_micrograph(tmp_path / "z.tif")
    assert m.metadata_pixel_size_nm == pytest.approx(7.344) and "CZ_SEM" in m.metadata_source


def test_zeiss_parser_on_tifffiles_dict():
    assert metadata.zeiss({"ap_image_pixel_size": ("Image Pixel Size", 7.344, "μm")})[0] == pytest.approx(7344)
    assert metadata.zeiss({"ap_pixel_size": ("Pixel Size", "7.344 nm")})[0] == pytest.approx(7.344)
    assert metadata.zeiss({"ap_image_pixel_size": ("Image Pixel Size", 0.0, "fm")}) is None
    assert metadata.zeiss(None) is None


@pytest.mark.parametrize("tag", [34680, 34682])
def test_fei_pixel_width_in_metres(tmp_path, tag):
    ini = "[User]\r\nDate=01/01/2024\r\n[Scan]\r\nPixelWidth=7.344e-009\r\nPixelHeight=7.344e-009\r\n"
    tifffile.imwrite(tmp_path / "f.tif", quantise(frame(), np.uint8), extratags=[(tag, "s", 0, ini, True)])
    m = read_micrograph(tmp_path / "f.tif")
    assert m.metadata_pixel_size_nm == pytest.approx(7.344) and "FEI" in m.metadata_source


def test_hitachi_sidecar_and_tag(tmp_path):
    img = quantise(frame(), np.uint8)
    tifffile.imwrite(tmp_path / "h.tif", img)
    (tmp_path / "h.txt").write_text("[SemImageFile]\r\nInstructName=S-4800\r\nPixelSize=9.921875\r\n")
    cv2.imwrite(str(tmp_path / "g.bmp"), img)
    (tmp_path / "g.txt").write_text("[SemImageFile]\nPixelSize=1.5\n")
    tifffile.imwrite(tmp_path / "t.tif", img, description="[SemImageFile]\nPixelSize=2.5\n")
    for name, nm in (("h.tif", 9.921875), ("g.bmp", 1.5), ("t.tif", 2.5)):
        m = read_micrograph(tmp_path / name)
        assert m.metadata_pixel_size_nm == pytest.approx(nm) and "Hitachi" in m.metadata_source, name


def test_pixel_size_precedence_note_and_error(tmp_path, capsys):
    ini = "[Scan]\r\nPixelWidth=1e-008\r\n"
    for name in ("a.tif", "b.tif"):
        tifffile.imwrite(tmp_path / name, quantise(frame(), np.uint8), extratags=[(34682, "s", 0, ini, True)])
    assert [m.pixel_size_nm for m in read_all(tmp_path)] == pytest.approx([10.0, 10.0])
    assert capsys.readouterr().err == ""
    notes = []
    ms = read_all(tmp_path, pixel_size_nm=7.0, log=notes.append)
    assert [m.pixel_size_nm for m in ms] == [7.0, 7.0] and [m.metadata_pixel_size_nm for m in ms] == [10.0, 10.0]
    assert len(notes) == 1 and "--pixel-size-nm 7 overrides" in notes[0] and "a.tif; the given size is used for every image" in notes[0]
    read_all(tmp_path, pixel_size_nm=10.05, log=notes.append)  # within 1 %: no note
    assert len(notes) == 1
    read_all(tmp_path, pixel_size_nm=7.0)  # default: one line on stderr
    assert capsys.readouterr().err.count("\n") == 1
    cv2.imwrite(str(tmp_path / "c.png"), quantise(frame(), np.uint8))
    with pytest.raises(DganError, match=r"c\.png: no pixel size in its metadata.*give --real-pixel-size-nm NM"):
        read_all(tmp_path, flag="--real-pixel-size-nm")
    with pytest.raises(DganError, match="--real-pixel-size-nm -1: must be a positive"):
        read_all(tmp_path, pixel_size_nm=-1.0, flag="--real-pixel-size-nm")


def with_bar(img, rows=20, light=False):
    out = img.copy()
    out[-rows:] = 1.0 if light else 0.0
    out[-rows + 5:-rows + 12:2, 10:50] = 0.0 if light else 1.0  # "text"
    return out


@pytest.mark.parametrize("light", [False, True])
def test_bar_detected_and_explicit_rows_win(tmp_path, light):
    img = with_bar(frame(), 20, light)
    assert info_bar_rows(img) == 20 and info_bar_rows(quantise(img, np.uint8)) == 20
    assert info_bar_rows(frame()) == 0 and info_bar_rows(np.zeros((96, 128))) == 0
    tifffile.imwrite(tmp_path / "x.tif", quantise(img, np.uint16), compression="lzw")
    m = read_micrograph(tmp_path / "x.tif")
    assert m.bar_rows == 20 and m.image.shape == (76, 128) and m.uint8().shape == (76, 128)
    assert read_micrograph(tmp_path / "x.tif", bar_rows=5).image.shape == (91, 128)
    assert read_micrograph(tmp_path / "x.tif", bar_rows=0).image.shape == (96, 128)
    with pytest.raises(DganError, match="x.tif: --bar-rows 200 leaves nothing of its 96 rows"):
        read_micrograph(tmp_path / "x.tif", bar_rows=200)


def bar_cases():
    """Bars to find and bottoms that are not bars (the eval path's old detector cropped
    the last four and missed the dense text)."""
    rng = np.random.default_rng(1)
    tex = frame(300, 400, seed=3)

    def bar(light=False, dense=0.1, separator=False):
        img, bg = tex.copy(), 1.0 if light else 0.0
        img[-40:] = bg
        img[-35:-5][rng.random((30, 400)) < dense] = 1 - bg
        if separator:
            img[-40] = 1 - bg
        return img

    dark_bottom = np.vstack([tex[:260], np.zeros((40, 400))])
    return [("dark", bar(), 40), ("light", bar(light=True), 40), ("dense text", bar(dense=0.35), 40),
            ("separator line", bar(separator=True), 40), ("texture", tex, 0), ("dark bottom", dark_bottom, 0),
            ("saturated bottom", 1 - dark_bottom, 0), ("all black", np.zeros((300, 400)), 0),
            ("dark substrate", np.clip(tex - 0.3, 0, 1), 0)]


@pytest.mark.parametrize("name, img, rows", bar_cases(), ids=[c[0] for c in bar_cases()])
def test_bar_or_no_bar(name, img, rows):
    assert info_bar_rows(img) == rows


def test_masks_with_and_without_the_bar(tmp_path):
    tifffile.imwrite(tmp_path / "i.tif", quantise(with_bar(frame(), 20), np.uint8))
    m = read_micrograph(tmp_path / "i.tif")
    full = np.zeros((96, 128), np.uint8)
    full[20:40, 30:50] = 255
    tifffile.imwrite(tmp_path / "full_m.tif", full, compression="lzw")
    tifffile.imwrite(tmp_path / "short_m.tif", full[:76])
    a = mask_for(read_mask(tmp_path / "full_m.tif"), tmp_path / "full_m.tif", m)
    b = mask_for(read_mask(tmp_path / "short_m.tif"), tmp_path / "short_m.tif", m)
    assert a.shape == b.shape == m.image.shape and np.array_equal(a, b)
    tifffile.imwrite(tmp_path / "odd_m.tif", full[:70])
    with pytest.raises(DganError, match=r"odd_m\.tif: mask shape \(70, 128\) fits neither its image .*i\.tif "
                                        r"\(96, 128\) nor .*20-row information bar \(76, 128\); .*--bar-rows 26"):
        mask_for(read_mask(tmp_path / "odd_m.tif"), tmp_path / "odd_m.tif", m)
    rgb = np.zeros((96, 128, 3), np.uint8)
    rgb[20:40, 30:50, 1] = 200  # a green label is foreground
    cv2.imwrite(str(tmp_path / "c_m.png"), rgb)
    assert np.array_equal(read_mask(tmp_path / "c_m.png") > 0, full > 0)


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_bad_files_are_one_line_naming_the_file(tmp_path, capfd):
    img = quantise(frame(256, 256), np.uint8)
    tifffile.imwrite(tmp_path / "plain.tif", img, rowsperstrip=16)
    tifffile.imwrite(tmp_path / "lzw.tif", img, compression="lzw", rowsperstrip=16)
    cv2.imwrite(str(tmp_path / "p.png"), img)
    cv2.imwrite(str(tmp_path / "j.jpg"), img)
    for name in ("plain.tif", "lzw.tif", "p.png", "j.jpg"):
        truncate(tmp_path / name)
    (tmp_path / "junk.tif").write_bytes(b"\x00junk" * 40)
    (tmp_path / "junk.png").write_bytes(b"\x00junk" * 40)
    (tmp_path / "empty.tif").write_bytes(b"")
    (tmp_path / "dir.tif").mkdir()
    for name in ("plain.tif", "lzw.tif", "p.png", "j.jpg", "junk.tif", "junk.png", "empty.tif", "dir.tif"):
        with pytest.raises(DganError) as err:
            read_micrograph(tmp_path / name, pixel_size_nm=5.0)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(str(tmp_path / name) + ": "), msg
    assert capfd.readouterr().err == ""  # libpng/libjpeg never got to print
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    for src, needle in ((tmp_path / "empty", "empty: no micrographs"), (tmp_path / "notes", "notes: no micrographs"),
                        (tmp_path / "missing", "missing: no such folder or file"),
                        (str(tmp_path / "nothing*.tif"), "nothing\\*.tif: no micrographs")):
        with pytest.raises(DganError, match=needle):
            read_all(src, pixel_size_nm=5.0)


def real(kind):
    folder = DATA / kind / "images"
    if not folder.is_dir() or not any(folder.glob("*.tif")):
        pytest.skip(f"real data not present at {folder}")
    return folder


@pytest.mark.parametrize("kind", ["bam-tio2-sem", "bam-tio2-tsem"])
def test_real_zeiss_micrographs(kind):
    ms = read_all(str(real(kind) / "190825[0-3].tif"))
    assert ms and all(m.pixel_size_nm == pytest.approx(7.344) for m in ms)
    assert all("CZ_SEM" in m.metadata_source and m.bar_rows == 56 and m.image.shape == (712, 1024) for m in ms)
    raw = tifffile.imread(ms[0].path)  # 8-bit palette with a grey ramp: the uint8 image is the stored one
    assert np.array_equal(ms[0].uint8(), raw[:712])


def test_real_mask_without_its_bar_rows_aligns_to_the_top():
    (m,) = read_all(str(real("bam-tio2-sem") / "1908250.tif"))
    mask_path = DATA / "bam-tio2-sem" / "masks" / "1908250_m.tif"
    full = read_mask(mask_path)
    assert full.shape == (768, 1024)
    assert np.array_equal(mask_for(full[:712], mask_path, m), mask_for(full, mask_path, m))


def test_one_option_name_and_help_on_every_command():
    import typer

    from dgan_blender.cli import app

    commands = typer.main.get_command(app).commands
    helps = {}
    for name, flag, old in (("fit", "--pixel-size-nm", "--crop-bottom"), ("realism", "--real-pixel-size-nm",
                            "--crop-bottom"), ("eval", "--pixel-size-nm", "--pixel-size"),
                            ("segment", "--pixel-size-nm", "--pixel-size")):
        params = {o: p for p in commands[name].params for o in p.opts}
        helps.setdefault("px", set()).add(params[flag].help)
        helps.setdefault("bar", set()).add(params["--bar-rows"].help)
        assert params[old].hidden and not params[flag].hidden and not params["--bar-rows"].hidden, name
    assert len(helps["px"]) == 1 and "overrides their metadata" in helps["px"].pop()
    assert len(helps["bar"]) == 1


def test_non_finite_floats_do_not_poison_the_image(tmp_path):
    img = frame().astype(np.float32)
    img[5, 5], img[6, 6] = np.nan, np.inf
    tifffile.imwrite(tmp_path / "nan.tif", img, compression="zstd" if "zstd" in codecs() else "deflate")
    g = read_micrograph(tmp_path / "nan.tif").grey
    assert np.isfinite(g).all() and g[5, 5] == 0.0 and np.abs(g[10:] - img[10:]).max() < 1e-6
