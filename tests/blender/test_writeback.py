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
    from dgan_blender.bridge.params import param_specs
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
