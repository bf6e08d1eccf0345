"""params.toml: one reader for every command; a file that does not fit the preset it is
applied to is one line naming the file and the key, exit 2, never a traceback."""

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dgan_blender.appearance.params import param_specs
from dgan_blender.config import list_presets, load_config, preset_path
from dgan_blender.appearance.look import load_look
from dgan_blender.errors import DganError
from dgan_blender.fit.report import params_toml
from dgan_blender.params_file import load_params

ROOT = Path(__file__).resolve().parents[1]


def fitted_text(preset="tio2-sem", drop=(), **values) -> str:
    """A params.toml as 'dgan fit' writes it (its own writer), every parameter of the preset."""
    specs = param_specs(load_config(preset))
    summary = {n: {"value": values.get(n.replace(".", "_"), s.default), "spread": 0.01, "low": s.low, "high": s.high}
               for n, s in specs.items() if n not in drop}
    return params_toml(summary, {"seed": 0, "command": "dgan fit --test", "preset": preset})


def dgan(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dgan_blender", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


def test_a_fit_file_loads_with_its_values_and_bounds(tmp_path):
    path = tmp_path / "params.toml"
    path.write_text(fitted_text(light_gain=1.3))
    params, meta = load_params(path, load_config("tio2-sem"))
    assert meta["preset"] == "tio2-sem" and params["light.gain"] == {"value": 1.3, "spread": 0.01, "low": 0.3, "high": 3.0}
    look = load_look(path, None)  # no scene given: checked against the preset it records
    assert set(look.parameters) == set(param_specs(load_config("tio2-sem")))


@pytest.mark.parametrize("preset", list_presets())
def test_shipped_fitted_tables_load_unchanged(preset):
    cfg = load_config(preset)
    fitted = tomllib.loads(preset_path(preset).read_text()).get("fitted")
    look = load_look(None, cfg)
    if fitted is None:
        assert look is None
        return
    for name, entry in fitted["parameters"].items():  # the values as written: renders stay identical
        p = look.parameters[name]
        assert (p.value, p.spread, p.low, p.high) == (entry["value"], entry["spread"], entry["low"], entry["high"])


def test_missing_bounds_default_to_the_presets(tmp_path):
    path = tmp_path / "p.toml"
    text = fitted_text().replace('[parameters."light.gain"]\nvalue = 1.0\nspread = 0.01\nlow = 0.3\nhigh = 3.0',
                                 '[parameters."light.gain"]\nvalue = 2.0')
    path.write_text(text)
    p = load_look(path, load_config("tio2-sem")).parameters["light.gain"]
    assert (p.value, p.spread, p.low, p.high) == (2.0, 0.0, 0.3, 3.0)


def test_the_loader_needs_neither_torch_nor_mitsuba(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(fitted_text())
    code = ("import sys; from dgan_blender.params_file import load_params; "
            f"load_params(r'{path}', None); "
            "print(sorted(m for m in ('torch', 'mitsuba', 'bpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def _bad_cases():
    good = fitted_text()
    gain = '[parameters."light.gain"]\nvalue = 1.0'
    return [
        ("binary", b"\x00\x01\xff\xfeTOML?\x00", "not a text file"),
        ("not-toml", "[parameters\nvalue = ", "not valid TOML"),
        ("string", good.replace(gain, gain.replace("1.0", '"bright"')), 'parameters."light.gain".value is \'bright\', not a number'),
        ("nan", good.replace(gain, gain.replace("1.0", "nan")), 'parameters."light.gain".value is nan'),
        ("bool", good.replace(gain, gain.replace("1.0", "true")), 'parameters."light.gain".value is True, not a number'),
        ("out-of-bounds", good.replace(gain, gain.replace("1.0", "7.5")), 'parameters."light.gain".value = 7.5 is outside [0.3, 3]'),
        ("wide-bounds", good.replace("low = 0.3\nhigh = 3.0", "low = 0.3\nhigh = 30.0"), 'parameters."light.gain": bounds [0.3, 30] leave'),
        ("negative-spread", good.replace(gain + "\nspread = 0.01", gain + "\nspread = -1.0"), "spread = -1 is negative"),
        ("unknown-name", good + '\n[parameters."light.gian"]\nvalue = 1.0\n', "unknown parameter for preset tio2-sem (did you mean 'light.gain'?)"),
        ("unknown-field", good.replace(gain, gain + "\nmean = 1.0"), 'parameters."light.gain".mean: unknown field'),
        ("truncated", good[: good.index('[parameters."noise.read_sigma"]')], "parameters missing: noise.read_sigma, noise.shot_gain"),
        ("no-parameters", "[meta]\npreset = \"tio2-sem\"\n", "no [parameters] table"),
        ("other-preset", fitted_text("sio2-him"), "fitted for preset 'sio2-him', not 'tio2-sem'; use it with --preset sio2-him"),
        ("folder", None, "is a folder"),
    ]


@pytest.mark.parametrize("name, content, needle", _bad_cases(), ids=[c[0] for c in _bad_cases()])
def test_render_refuses_a_bad_params_file_in_one_line(tmp_path, name, content, needle):
    path = tmp_path / "params.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = dgan("render", "--preset", "tio2-sem", "--params", path, "--count", "1", "--out", tmp_path / "data")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 and str(path) in lines[0] and needle in lines[0], proc.stderr
    assert not (tmp_path / "data").exists()  # refused before anything is written


def test_the_same_reader_serves_every_caller(tmp_path):
    """apply (no scene known yet) and data-set workers go through load_look too."""
    path = tmp_path / "params.toml"
    path.write_text(fitted_text(drop=("noise.gamma",)))
    with pytest.raises(DganError, match="parameters missing: noise.gamma"):
        load_look(path, None)
    if importlib.util.find_spec("bpy") is None:
        pytest.skip("bpy is not installed")
    proc = dgan("apply", "--params", path, "--scene", tmp_path / "none.blend", "--out", tmp_path / "o.blend")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "parameters missing: noise.gamma" in lines[0], proc.stderr
