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
    (["--real", "{t}/empty"], "empty: no TIFF/PNG/JPEG images found"),
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
