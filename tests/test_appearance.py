"""The appearance registry: one declaration per fitted parameter, and the core imports
without the renderers."""

import subprocess
import sys

from dgan_blender.appearance.registry import NOISE_PARAMS, PARAMS, by_node, find, for_mode
from dgan_blender.appearance.params import param_specs
from dgan_blender.config import load_config


def test_every_mode_parameter_is_a_fit_parameter_with_its_bounds():
    for preset in ("tio2-sem", "tio2-tsem"):
        cfg = load_config(preset)
        specs = param_specs(cfg)
        names = {n for p in for_mode(cfg.imaging.mode) for n in p.names()}
        assert names | {f"noise.{k}" for k in NOISE_PARAMS} == set(specs)
        for name in names:
            assert (specs[name].low, specs[name].high) == find(name).bounds[name.partition(".")[0]]


def test_names_and_nodes_are_unique():
    names = [n for p in PARAMS for n in p.names()]
    assert len(names) == len(set(names))
    nodes = [p.node for p in PARAMS if p.node]
    assert len(nodes) == len(set(nodes)) and all(by_node(n).node == n for n in nodes)
    assert find("particle.sem_base").integrator == "base" and find("substrate.tr_attenuation_per_nm") is None


def test_core_imports_load_no_renderer():
    """config, geometry, layouts, annotation, appearance, the data-set store, seeds and
    the micrograph reader import without bpy, mitsuba or drjit."""
    code = ("import sys; import dgan_blender.config, dgan_blender.geometry, dgan_blender.layout, "
            "dgan_blender.annotate, dgan_blender.appearance.registry, dgan_blender.dataset.store, "
            "dgan_blender.appearance.look, dgan_blender.seeds, dgan_blender.micrograph, "
            "dgan_blender.geometry.redraw, dgan_blender.params_file; "
            "print(sorted(m for m in ('bpy', 'mitsuba', 'drjit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
