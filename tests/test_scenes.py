"""`dgan scene` end to end with the real bpy: every preset, small frames."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dgan_blender.io import read_png

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("bpy")


def dgan_scene(preset, seed, out, size=64):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "scene", "--preset", preset,
                           "--seed", str(seed), "--out", str(out), "--size", str(size), "--spp", "4"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["tio2-sem", "sio2-him", "agnw-sem"])
def test_scene_outputs_consistent(preset, tmp_path):
    size = 96
    dgan_scene(preset, 3, tmp_path, size)
    for name in ("scene.blend", "render.png", "instances.png", "semantic.png", "particles.json", "preview.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    inst = read_png(tmp_path / "instances.png")
    sem = read_png(tmp_path / "semantic.png")
    render = read_png(tmp_path / "render.png")
    meta = json.loads((tmp_path / "particles.json").read_text())
    assert inst.dtype == np.uint16 and inst.shape == (size, size)
    assert render.shape == (size, size) and preview_ok(tmp_path)
    assert meta["seed"] == 3 and meta["preset"] == preset
    ids = {p["id"] for p in meta["particles"]}
    present = set(np.unique(inst)) - {0}
    assert present, "mask is empty"
    assert present <= ids
    for p in meta["particles"]:
        assert p["visible_area_px"] == int((inst == p["id"]).sum())
        assert 0.0 <= p["occluded_fraction"] <= 1.0
        if p["visible_area_px"] == 0:
            continue
        if p["projected_area_px"] > 0:
            assert p["visible_area_px"] <= p["projected_area_px"] * 1.05 + 3
    assert set(np.unique(sem)) <= {0, 1, 2}
    assert ((sem > 0) == (inst > 0)).all()


def preview_ok(folder):
    return read_png(folder / "preview.png").shape[-1] == 3


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    dgan_scene("sio2-him", 0, tmp_path / "a")
    dgan_scene("sio2-him", 0, tmp_path / "b")
    dgan_scene("sio2-him", 1, tmp_path / "c")
    for name in ("instances.png", "semantic.png", "particles.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "particles.json").read_bytes() != (tmp_path / "c" / "particles.json").read_bytes()
