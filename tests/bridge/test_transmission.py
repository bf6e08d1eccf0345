"""Transmission contrast: Beer-Lambert through the particle meshes, the same in Cycles
and Mitsuba, with gradients that match differences (real bpy, mitsuba and torch)."""

import numpy as np
import pytest
import torch

pytest.importorskip("bpy")
pytest.importorskip("mitsuba")

from dgan_blender.blender.builder import build_scene  # noqa: E402
from dgan_blender.blender.render import render_image, render_instances  # noqa: E402
from dgan_blender.bridge.check import gradient_errors, mask_iou  # noqa: E402
from dgan_blender.bridge.export import describe  # noqa: E402
from dgan_blender.appearance.params import param_specs  # noqa: E402
from dgan_blender.bridge.render import render  # noqa: E402
from dgan_blender.bridge.scene import MitsubaScene, mitsuba_dict  # noqa: E402
from dgan_blender.config import load_config  # noqa: E402
from dgan_blender.geometry import generate_layout  # noqa: E402

from .conftest import weighted_gradients  # noqa: E402

MU, LEVEL, D = 0.01, 0.8, 120.0


def _sphere(extra=()):
    cfg = load_config("sio2-him", ["particles.count=1", 'particles.kind="sphere"',
                                   'particles.diameter.kind="fixed"', f"particles.diameter.mean_nm={D}",
                                   "image.width_px=64", "image.height_px=64", "image.pixel_size_nm=4",
                                   'imaging.mode="transmission"', 'agglomerates.placement="random"',
                                   f"particle_material.tr_attenuation_per_nm={MU}",
                                   f"substrate.material.tr_level={LEVEL}", "render.spp=8", *extra])
    return generate_layout(cfg, np.random.default_rng(0), 0)


@pytest.fixture
def tiny_tsem():
    cfg = load_config("tio2-tsem", ["image.width_px=64", "image.height_px=64", "render.spp=16",
                                    "image.pixel_size_nm=14.0", "particles.coverage=0.3"])
    return generate_layout(cfg, np.random.default_rng(4), 4)


def _centre(inst):
    cy, cx = np.argwhere(inst > 0).mean(0).round().astype(int)
    return (slice(cy - 1, cy + 2), slice(cx - 1, cx + 2))


@pytest.mark.slow
def test_one_sphere_follows_beer_lambert_in_both_renderers(variant):
    """Through the middle of a sphere the beam crosses its diameter: level x exp(-mu D);
    beside it, the bare support: level."""
    scene = build_scene(_sphere())
    inst = render_instances(scene)
    cyc = render_image(scene)
    ms = MitsubaScene(describe(scene), spp=8, variant=variant)
    with torch.no_grad():
        mit = render(ms, {}, seed=0).numpy()
    expect = LEVEL * np.exp(-MU * D)  # the mesh's chord is within 1 % of D at the centre
    for img in (cyc, mit):
        assert img[_centre(inst)].mean() == pytest.approx(expect, rel=0.02)
        assert img[inst == 0].min() == pytest.approx(LEVEL, abs=1e-4) or img[0, 0] == pytest.approx(LEVEL, abs=1e-4)
        assert img.min() >= expect * 0.97  # nowhere darker than the thickest path


@pytest.mark.slow
def test_agglomerate_agrees_and_overlaps_darken(tiny_tsem, variant):
    scene = build_scene(tiny_tsem)
    inst_c = render_instances(scene)
    cyc = render_image(scene)
    ms = MitsubaScene(describe(scene), spp=16, variant=variant)
    assert ms.mode == "transmission"
    assert mask_iou(inst_c, ms.instances()) >= 0.98
    with torch.no_grad():
        mit = render(ms, {}, seed=1).numpy()
    assert np.abs(mit - cyc).mean() <= 0.01
    assert abs(float(mit.mean()) - float(cyc.mean())) <= 0.01 * float(cyc.mean())
    # more attenuation, darker particles, the ground unchanged
    with torch.no_grad():
        darker = render(ms, {"particle.tr_attenuation_per_nm": torch.tensor(0.05)}, seed=1).numpy()
    fg = inst_c > 0
    assert darker[fg].mean() < mit[fg].mean() - 0.05
    from scipy.ndimage import binary_dilation

    ground = ~binary_dilation(fg, iterations=2)  # off every particle's edge pixels too
    assert ground.any() and np.allclose(darker[ground], mit[ground], atol=1e-5)


@pytest.mark.slow
def test_transmission_gradients_match_differences(tiny_tsem, variant):
    ms = MitsubaScene(describe(build_scene(tiny_tsem)), spp=4, variant=variant)
    specs = {k: v for k, v in param_specs(tiny_tsem.config).items() if not k.startswith("noise.")}
    assert set(specs) == {"particle.tr_attenuation_per_nm", "substrate.tr_level", "light.gain"}
    errors = gradient_errors(ms, specs, spp=4)
    assert max(errors.values()) < 0.01, errors


@pytest.mark.slow
def test_transmission_gradients_repeat_to_the_bit(tiny_tsem, variant):
    ms = MitsubaScene(describe(build_scene(tiny_tsem)), spp=64, variant=variant)
    values = {"particle.tr_attenuation_per_nm": 0.01, "substrate.tr_level": 0.8, "light.gain": 1.1}
    first = weighted_gradients(ms, values)
    assert all(g != 0 for g in first), first
    assert all(weighted_gradients(ms, values) == first for _ in range(4))


def test_transmission_scene_dict_uses_its_integrator(variant):
    from dgan_blender.mitsuba_env import import_mitsuba

    mi = import_mitsuba(variant)
    import drjit as dr

    desc = describe(build_scene(_sphere()))
    assert desc["materials"]["dgan_particle"] == {"shading": "transmission",
                                                  "tr_attenuation_per_nm": pytest.approx(MU)}
    assert desc["materials"]["dgan_substrate"]["tr_level"] == pytest.approx(LEVEL)
    assert mitsuba_dict(mi, dr, desc, spp=2)["integrator"]["type"] == "dgan_transmission"


def test_fit_parameters_follow_the_mode():
    se = param_specs(load_config("tio2-sem"))
    tr = param_specs(load_config("tio2-tsem"))
    assert "particle.sem_base" in se and "particle.tr_attenuation_per_nm" not in se
    assert "particle.sem_base" not in tr
    lo, hi = tr["particle.tr_attenuation_per_nm"].low, tr["particle.tr_attenuation_per_nm"].high
    # faint (a 100 nm particle passes 99 %) to opaque (20 nm pass 2 %)
    assert np.exp(-lo * 100) >= 0.99 and np.exp(-hi * 20) <= 0.02
