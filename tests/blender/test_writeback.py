"""`dgan apply`: fitted values land in the .blend and read back the same."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("bpy")
ROOT = Path(__file__).resolve().parents[2]


def _params(preset: str = "sio2-him") -> str:
    """A complete params.toml of ``preset``, written by the fit's own writer."""
    from dgan_blender.appearance.params import param_specs
    from dgan_blender.config import load_config
    from dgan_blender.fit.report import params_toml

    chosen = {"particle.sem_base": (0.42, 0.03), "substrate.sem_base": (0.2, 0.01), "light.gain": (1.3, 0.1),
              "noise.read_sigma": (0.05, 0.0)}
    summary = {n: dict(zip(("value", "spread"), chosen.get(n, (s.default, 0.0))), low=s.low, high=s.high)
               for n, s in param_specs(load_config(preset)).items()}
    return params_toml(summary, {"command": "dgan fit --test", "preset": preset})


PARAMS = _params()


def cli(*args):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    return proc


@pytest.mark.slow
def test_apply_writes_and_reads_back(tmp_path):
    assert cli("scene", "--preset", "sio2-him", "--size", "32", "--spp", "2", "--out", str(tmp_path / "s")).returncode == 0
    params = tmp_path / "params.toml"
    params.write_text(PARAMS)
    proc = cli("apply", "--params", str(params), "--scene", str(tmp_path / "s" / "scene.blend"),
               "--out", str(tmp_path / "fitted.blend"))
    assert proc.returncode == 0, proc.stderr
    applied = json.loads(proc.stdout.strip().splitlines()[-1])["applied"]
    assert applied["particle.sem_base"] == pytest.approx(0.42, abs=1e-6)
    assert applied["light.gain"] == pytest.approx(1.3, abs=1e-6)
    # a fresh process opens the saved file and sees the same values
    code = ("import json, bpy; from dgan_blender.blender.io import open_blend; "
            "from dgan_blender.blender.writeback import read_look_values; "
            f"s = open_blend(r'{tmp_path / 'fitted.blend'}'); "
            "print(json.dumps({'v': read_look_values(s), 'engine': s.render.engine, "
            "'spread': s['dgan_spread_particle_sem_base']}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    back = json.loads(out.stdout.strip().splitlines()[-1])
    assert back["v"] == pytest.approx(applied)
    assert back["v"]["noise.read_sigma"] == pytest.approx(0.05)
    assert back["spread"] == pytest.approx(0.03)
    # a fit of another preset is refused by the scene's own preset, in one line
    other = tmp_path / "tio2.toml"
    other.write_text(_params("tio2-sem"))
    proc = cli("apply", "--params", str(other), "--scene", str(tmp_path / "s" / "scene.blend"),
               "--out", str(tmp_path / "other.blend"))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "fitted for preset 'tio2-sem', not 'sio2-him'" in lines[-1], proc.stderr
    assert not (tmp_path / "other.blend").exists()


def test_apply_bad_params_one_line(tmp_path):
    proc = cli("apply", "--params", str(tmp_path / "none.toml"), "--scene", "x.blend", "--out", str(tmp_path / "o.blend"))
    assert proc.returncode == 2 and "none.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_transmission_values_written_and_read_back():
    """The fitted transmission look goes into the absorption and ground nodes, and the
    Mitsuba description the engine renders from reads the same values."""
    import numpy as np

    from dgan_blender.blender.builder import build_scene
    from dgan_blender.blender.writeback import apply_look, read_look_values
    from dgan_blender.bridge.export import describe
    from dgan_blender.config import load_config
    from dgan_blender.appearance.look import Look, Parameter
    from dgan_blender.geometry import generate_layout

    cfg = load_config("tio2-tsem", ["image.width_px=32", "image.height_px=32", "render.spp=2"])
    scene = build_scene(generate_layout(cfg, np.random.default_rng(1), 1))
    look = Look({"particle.tr_attenuation_per_nm": Parameter(0.033, 0.002, 1e-4, 0.2),
                 "substrate.tr_level": Parameter(0.7, 0.0, 0.05, 1.5),
                 "light.gain": Parameter(1.2, 0.0, 0.3, 3.0)})
    assert apply_look(scene, look) == []
    back = read_look_values(scene)
    assert back["particle.tr_attenuation_per_nm"] == pytest.approx(0.033)
    assert back["substrate.tr_level"] == pytest.approx(0.7)
    assert back["light.gain"] == pytest.approx(1.2)
    mats = describe(scene)["materials"]
    assert mats["dgan_particle"]["tr_attenuation_per_nm"] == pytest.approx(0.033)
    assert mats["dgan_substrate"]["tr_level"] * mats["dgan_substrate"]["sem_gain"] == pytest.approx(0.84)
