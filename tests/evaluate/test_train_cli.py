"""`dgan train` from the command line, and `dgan segment` on the model it writes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dgan(*args, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def train_then_segment(data, tmp_path):
    out = tmp_path / "model"
    proc = dgan("train", "--data", data, "--out", out, "--epochs", 1, "--patch", 32, "--batch", 4, "--seed", 6,
                "--threads", 1)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["model"] == str(out / "model.pt") and summary["seed"] == 6 and summary["epochs_run"] == 1
    assert (out / "curve.json").exists() and (out / "run.json").exists()
    seg = tmp_path / "seg"
    proc = dgan("segment", "--model", out / "model.pt", "--images", data / "images", "--out", seg,
                "--pixel-size", summary["pixel_size_nm"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model_data_digest"] == summary["data_digest"]
    assert (seg / "particles.csv").exists()
    proc = dgan("segment", "--model", out / "model.pt", "--images", data / "images", "--out", tmp_path / "seg2",
                "--pixel-size", summary["pixel_size_nm"], "--split-necks", 0.2)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["split_necks_h"] == 0.2
    proc = dgan("segment", "--model", out / "model.pt", "--images", data / "images", "--out", tmp_path / "seg3",
                "--pixel-size", summary["pixel_size_nm"], "--ground-check")
    assert proc.returncode == 0, proc.stderr
    checked = json.loads(proc.stdout)["ground_check"]
    assert checked["unseen"] <= checked["detections"] and checked["polarity"] in ("bright", "dark")
    assert json.loads((seg / "summary.json").read_text())["ground_check"] is None  # off unless asked
    return summary


def test_train_then_segment(synthetic_like, tmp_path):
    summary = train_then_segment(synthetic_like, tmp_path)
    assert summary["pixel_size_nm"] == 14.688 and summary["preset"] == "tio2-sem"


@pytest.mark.slow
def test_train_on_a_rendered_data_set(tmp_path):
    data = tmp_path / "data"
    proc = dgan("render", "--size", 64, "--spp", 2, "--count", 4, "--workers", 0, "--out", data, "--seed", 1)
    assert proc.returncode == 0, proc.stderr
    summary = train_then_segment(data, tmp_path)
    from dgan_blender.config import load_config

    assert summary["pixel_size_nm"] == load_config("tio2-sem").image.pixel_size_nm
    assert summary["preset"] == "tio2-sem"


def _no_masks(root):
    (root / "images").mkdir(parents=True)
    (root / "manifest.jsonl").write_text("")
    return root


@pytest.mark.parametrize("make, needle", [
    (None, "no training data; pass --data"),
    (lambda root: root, "no such folder"),
    (lambda root: root.mkdir() or root, "no manifest.jsonl"),
    (_no_masks, "no instances/"),
])
def test_bad_input_is_one_line_exit_2(make, needle, tmp_path):
    args = [] if make is None else ["--data", make(tmp_path / "data")]
    proc = dgan("train", *args, "--out", tmp_path / "m")
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert not (tmp_path / "m").exists()
