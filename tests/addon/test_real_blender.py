"""The built zip in a real Blender executable (4.2+): install headless, enable, operate,
and the batch entry. Runs where DGAN_BLENDER names a Blender (CI: get-blender's 4.3)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgan_blender.addon_support.blender_exe import blender_env, install_extension, run_blender

from .conftest import ROOT, needs_command

BLENDER = os.environ.get("DGAN_BLENDER", "")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (BLENDER and os.access(BLENDER, os.X_OK)),
    reason="set DGAN_BLENDER to a Blender executable (../shared/tools/get-blender prints one)")]

TINY = ["--preset", "sio2-him", "--size", "64", "--spp", "1", "--set", "particles.count=2"]

CHECK = """
import bpy, json, sys
mod = "bl_ext.user_default.dgan"
s = bpy.context.scene.dgan
s.preset = "sio2-him"; s.image__width_px = s.image__height_px = 64
s.particles__count = 2; s.render__spp = 1; s.seed = 1
res = bpy.ops.dgan.generate_scene()
n = len(bpy.data.collections["dgan_particles"].objects)
print("DGAN " + json.dumps({"enabled": mod in bpy.context.preferences.addons,
      "panel": hasattr(bpy.types, "DGAN_PT_main"), "result": sorted(res), "particles": n,
      "python": sys.version.split()[0], "blender": bpy.app.version_string}))
"""


@pytest.fixture(scope="module")
def installed(addon_zip, tmp_path_factory):
    home = tmp_path_factory.mktemp("blender_home")
    env = blender_env(BLENDER, home, DGAN_PYTHON=sys.executable)
    install_extension(BLENDER, addon_zip, env)
    return env


def test_installed_extension_generates_a_scene(installed):
    proc = run_blender(BLENDER, ["-b", "--python-exit-code", "1", "--python-expr", CHECK], installed)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("DGAN ")]
    assert proc.returncode == 0 and lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads(lines[-1][5:])
    assert res["enabled"] and res["panel"] and res["result"] == ["FINISHED"] and res["particles"] == 2


def test_batch_scene_matches_the_cli(installed, tmp_path):
    proc = run_blender(BLENDER, ["-b", "-P", ROOT / "addon" / "headless.py", "--", "scene", *TINY,
                                 "--out", tmp_path / "blender"], installed, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    cli = subprocess.run([sys.executable, "-m", "dgan_blender", "scene", *TINY, "--out", str(tmp_path / "cli")],
                         capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 0, cli.stderr
    from dgan_blender.io import read_png

    for name in ("instances.png", "semantic.png"):
        a, b = read_png(tmp_path / "blender" / name), read_png(tmp_path / "cli" / name)
        assert (a == b).all(), name
    assert json.loads((tmp_path / "blender" / "particles.json").read_text())["particles"]


def test_batch_bad_input_is_one_line_exit_2(installed, tmp_path):
    proc = run_blender(BLENDER, ["-b", "-P", ROOT / "addon" / "headless.py", "--", "scene", "--preset", "nope",
                                 "--out", tmp_path / "x"], installed, cwd=ROOT)
    assert proc.returncode == 2 and "unknown preset 'nope'" in proc.stderr


def test_batch_render(installed, tmp_path, dgan_commands):
    needs_command(dgan_commands, "render")
    out = tmp_path / "data"
    proc = run_blender(BLENDER, ["-b", "-P", ROOT / "addon" / "headless.py", "--", "render", *TINY,
                                 "--count", "2", "--engine", "cycles", "--workers", "0", "--out", out],
                       installed, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 2
