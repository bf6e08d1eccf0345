"""Bad input to ``dgan prior``: one line on stderr, exit code 2, no traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import draw_field, write_pngs

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "prior", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def _one_line(proc, needle):
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def _case(kind, folder):
    rng = np.random.default_rng(0)
    if kind == "no images":
        folder.mkdir()
        return []
    if kind == "no particles":
        write_pngs(folder, [np.clip(0.3 + 0.02 * rng.standard_normal((128, 128)), 0, 1) for _ in range(3)])
        return ["--pixel-size-nm", "5"]
    if kind == "no pixel size":
        write_pngs(folder, [draw_field(rng)[0]])
        return []
    # field of view too small: particles of ~60 px in 128 px fields
    write_pngs(folder, [draw_field(rng, shape=(128, 128), median_px=60, sigma=0.05, count=3)[0] for _ in range(3)])
    return ["--pixel-size-nm", "5"]


@pytest.mark.parametrize("kind, needle", [
    ("no images", "no micrographs"),
    ("no particles", "no particles"),
    ("no pixel size", "--pixel-size-nm"),
    ("too small", "field of view is too small"),
])
def test_bad_input_is_one_line(kind, needle, tmp_path):
    folder = tmp_path / "real"
    extra = _case(kind, folder)
    _one_line(run("--real", str(folder), "--out", str(tmp_path / "p.toml"), *extra), needle)


@pytest.mark.parametrize("flag, value, needle", [
    ("--shape", "cube", "--shape cube: not a shape family"),
    ("--layers", "4d", "--layers 4d: give 2d (a monolayer) or 3d (piles)"),
])
def test_an_unknown_shape_family_or_stacking_is_one_line(flag, value, needle, tmp_path):
    folder = tmp_path / "real"
    write_pngs(folder, [draw_field(np.random.default_rng(0))[0]])
    proc = run("--real", str(folder), "--out", str(tmp_path / "p.toml"), "--pixel-size-nm", "5", flag, value)
    _one_line(proc, needle)
    assert not (tmp_path / "p.toml").exists()
