"""``dgan fit`` input errors surface before any layout is built: one line, exit 2."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "small").mkdir()
    cv2.imwrite(str(tmp_path / "small" / "tiny.png"), np.zeros((40, 40), np.uint8))
    return tmp_path


@pytest.mark.parametrize("args, needle", [
    (["--real", "{t}/empty"], "empty: no micrographs"),
    (["--real", "{t}/small", "--pixel-size-nm", "7.344"], "tiny.png: 40x40 px"),
    (["--real", "{t}/small", "--fix", "noise.nope"], "--fix noise.nope: unknown parameter"),
    (["--real", "{t}/small", "--loss", "wgan"], "choose lsgan or hinge"),
])
def test_fit_bad_input_is_one_line(folders, args, needle):
    proc = run("fit", *[a.format(t=folders) for a in args], "--out", str(folders / "run"))
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert not (folders / "run" / "layouts").exists()


def test_tiny_bridge_fit_draws_layouts_like_the_real_patches(tmp_path):
    """Two iterations through Blender, Mitsuba and torch; the layouts cover what the
    real patches show (bright squares on 10 % and 40 % of two images)."""
    import tomllib

    from dgan_blender.fit.pool import load_description

    real = tmp_path / "real"
    real.mkdir()
    rng = np.random.default_rng(0)
    for i, frac in enumerate((0.1, 0.4)):
        img = (40 + 5 * rng.standard_normal((96, 96))).clip(0, 255).astype(np.uint8)
        side = int(round(np.sqrt(frac) * 96))
        img[10:10 + side, 20:20 + side] = 200
        cv2.imwrite(str(real / f"r{i}.png"), img)
    out = tmp_path / "run"
    proc = run("fit", "--real", str(real), "--out", str(out), "--pixel-size-nm", "14", "--holdout", "0",
               "--iters", "2", "--pool", "2", "--patch", "64", "--spp", "1", "--eval-every", "1",
               "--eval-images", "2", "--set", "image.width_px=64", "--set", "image.height_px=64",
               "--set", "image.pixel_size_nm=14.0", "--match-coverage")
    assert proc.returncode == 0, proc.stderr
    meta = tomllib.loads((out / "params.toml").read_text())["meta"]
    assert "matched to the real patches' Otsu foreground" in meta["layout_coverage"]
    layouts = sorted((out / "layouts").glob("*/layout_*.npz"))
    assert len(layouts) == 2
    sizes = [sum(1 for s in load_description(p)["shapes"].values() if s["cls"] == 1) for p in layouts]
    assert sizes[0] < sizes[1]  # the sparse and the dense half of the real patches


def test_fit_pixel_size_flag_overrides_metadata(tmp_path):
    """The size in the error shows which pixel size was used: 300 px at 10 nm/px (FEI
    metadata) is 408 px at the preset's 7.344 nm/px; with --pixel-size-nm 2 it is 82 px."""
    import tifffile

    real = tmp_path / "real"
    real.mkdir()
    img = np.random.default_rng(0).integers(0, 255, (300, 300)).astype(np.uint8)
    tifffile.imwrite(real / "fei.tif", img, extratags=[(34682, "s", 0, "[Scan]\r\nPixelWidth=1e-008\r\n", True)])
    base = ["fit", "--real", str(real), "--out", str(tmp_path / "run"), "--patch", "512",
            "--set", "image.width_px=512", "--set", "image.height_px=512"]
    proc = run(*base)
    assert proc.returncode == 2 and "fei.tif: 408x408 px at 7.344 nm/px" in proc.stderr, proc.stderr
    assert "note:" not in proc.stderr
    proc = run(*base, "--pixel-size-nm", "2")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 2, proc.stderr
    assert "--pixel-size-nm 2 overrides the metadata's 10 nm/px" in lines[0] and "fei.tif: 82x82 px" in lines[1]
    (real / "fei.tif").unlink()
    cv2.imwrite(str(real / "plain.png"), img)
    proc = run(*base, "--bar-rows", "0")
    assert proc.returncode == 2 and "plain.png: no pixel size in its metadata" in proc.stderr
    assert "give --pixel-size-nm NM" in proc.stderr
