"""The built extension inside the bpy wheel: register, operators, background jobs.

Each case runs in a fresh bpy process (tests/addon/bpy_session.py) with its own $HOME, so
installing the zip never touches the developer's Blender and cases cannot leak state.
"""

from pathlib import Path

import pytest

from .conftest import ROOT, bpy_case, needs_command

pytest.importorskip("bpy")
pytestmark = pytest.mark.bpy

REAL = ROOT.parent / "shared" / "data" / "bam-tio2-sem" / "images"


def test_register_and_unregister(addon_zip, tmp_path):
    res, _ = bpy_case(addon_zip, "register", tmp_path)
    assert {"generate_scene", "fit", "apply_params", "render_dataset", "scene_job", "measure",
            "cancel_job", "check_env", "load_preset"} <= set(res["ops"])
    assert res["panel"] and res["settings"] and res["prefs"]
    assert res["after_ops"] == [] or not {"generate_scene", "fit"} & set(res["after_ops"])
    assert not res["after_panel"] and not res["after_settings"]


def test_generate_builds_the_panel_scene(addon_zip, tmp_path):
    res, _ = bpy_case(addon_zip, "generate", tmp_path)
    assert res["result"] == ["FINISHED"]
    assert res["particles"] == 2 and res["seed"] == 3
    cfg = res["config"]
    assert cfg["name"] == "sio2-him" and cfg["image"]["width_px"] == 64
    assert cfg["render"]["spp"] == 1 and cfg["particles"]["count"] == 2
    assert res["settings_follow"] == 64  # the new scene keeps the panel's settings


def test_generate_reports_config_errors(addon_zip, tmp_path):
    res, _ = bpy_case(addon_zip, "generate_bad", tmp_path)
    assert res["error"] and "particles.count" in res["error"]


@pytest.mark.slow
def test_scene_job_runs_dgan_scene_in_background(addon_zip, tmp_path):
    res, out = bpy_case(addon_zip, "scene_job", tmp_path)
    assert res["result"] == ["FINISHED"] and res["size"] == [64, 64], out
    folder = Path(res["image"]).parent
    for name in ("scene.blend", "render.png", "instances.png", "semantic.png", "particles.json"):
        assert (folder / name).is_file()


@pytest.mark.slow
def test_render_dataset_job(addon_zip, tmp_path, dgan_commands):
    needs_command(dgan_commands, "render")
    res, out = bpy_case(addon_zip, "render", tmp_path)
    assert res["result"] == ["FINISHED"], out
    data = tmp_path / "data"
    lines = (data / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 2 and len(list((data / "images").glob("*.png"))) == 2
    assert res["images"], "a result image is loaded back"


@pytest.mark.slow
def test_fit_job_two_iterations(addon_zip, tmp_path, dgan_commands):
    needs_command(dgan_commands, "fit")
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    res, out = bpy_case(addon_zip, "fit", tmp_path, str(REAL), timeout=900)
    assert res["result"] == ["FINISHED"], out
    assert Path(res["params"]).is_file() and res["params"].endswith("params.toml")


@pytest.mark.slow
def test_apply_job_reopens_fitted_scene(addon_zip, tmp_path, dgan_commands):
    needs_command(dgan_commands, "apply")
    params = tmp_path / "params.toml"
    from dgan_blender.appearance.params import param_specs
    from dgan_blender.config import load_config
    from dgan_blender.fit.report import params_toml

    specs = param_specs(load_config("sio2-him"))  # the panel's preset; a params file names all of its parameters
    params.write_text(params_toml({n: {"value": 0.42 if n == "particle.sem_base" else s.default, "spread": 0.0,
                                       "low": s.low, "high": s.high} for n, s in specs.items()},
                                  {"preset": "sio2-him"}))
    res, out = bpy_case(addon_zip, "apply", tmp_path, str(params))
    assert res["result"] == ["FINISHED"], out
    assert res["file"].endswith("_fitted.blend")
