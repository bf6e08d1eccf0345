"""Export fidelity beyond the default set-up: other cameras, and the Principled path's lights."""

import numpy as np
import pytest
import torch

pytest.importorskip("bpy")
pytest.importorskip("mitsuba")

from dgan_blender.blender.builder import build_scene  # noqa: E402
from dgan_blender.blender.render import render_image, render_instances  # noqa: E402
from dgan_blender.bridge.check import mask_iou  # noqa: E402
from dgan_blender.bridge.export import describe  # noqa: E402
from dgan_blender.config import load_config  # noqa: E402
from dgan_blender.errors import DganError  # noqa: E402
from dgan_blender.geometry.meshes import icosphere  # noqa: E402
from dgan_blender.layout import Layout, Mesh, Particle  # noqa: E402
from dgan_blender.quiet import silence_stdout  # noqa: E402

SPHERES = [((40.0, 60.0, 20.0), 20.0), ((90.0, 70.0, 15.0), 15.0)]


def _sphere(centre, radius):
    v, f = icosphere(3)
    return Mesh(v * radius + np.asarray(centre), f)


def _layout(overrides):
    cfg = load_config("sio2-him", ["image.width_px=64", "image.height_px=64", "render.spp=8", *overrides])
    return Layout(cfg, 0, [Particle(i + 1, "sphere", np.array(c), 2 * r, _sphere(c, r))
                           for i, (c, r) in enumerate(SPHERES)])


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [
    ["camera.projection=perspective", "camera.tilt_deg=30"],
    ["camera.tilt_deg=40"],
    ["image.width_px=80"],
    ["camera.projection=perspective", "image.height_px=80"],
], ids=["persp-tilt", "ortho-tilt", "wide", "persp-tall"])
def test_other_cameras_align(overrides, variant):
    from dgan_blender.bridge.render import render
    from dgan_blender.bridge.scene import MitsubaScene

    with silence_stdout():
        scene = build_scene(_layout(overrides))
        ms = MitsubaScene(describe(scene), spp=8, variant=variant)
        cyc_mask, cyc = render_instances(scene), render_image(scene)
    assert mask_iou(cyc_mask, ms.instances()) >= 0.98
    with torch.no_grad():
        mit = render(ms, {}, seed=1).numpy()
    assert mit.shape == cyc.shape
    assert np.abs(mit - cyc).mean() <= 0.02


@pytest.mark.slow
@pytest.mark.parametrize("kind,size", [("sun", 0.0), ("point", 0.0), ("area", 60.0)])
def test_principled_lights_match_cycles(kind, size):
    """Light units: a diffuse scene lit by each kind is equally bright in both renderers."""
    from dgan_blender.bridge.principled import render_principled

    mat = '{shading="principled", base_color=[0.5,0.5,0.5], roughness=1.0, specular=0.0}'
    lay = _layout([f'lights=[{{kind="{kind}", strength=3.0, elevation_deg=60.0, size_nm={size}}}]',
                   f"substrate.material={mat}", f"particle_material={mat}", "render.spp=16"])
    with silence_stdout():
        scene = build_scene(lay)
        cyc = render_image(scene)
        mit = render_principled(describe(scene), 16, 0)
    assert abs(mit.mean() / cyc.mean() - 1) < 0.05, (mit.mean(), cyc.mean())


def test_scene_without_camera_is_a_user_error():
    with silence_stdout():
        scene = build_scene(_layout([]))
    scene.camera = None
    with pytest.raises(DganError, match="no active camera"):
        describe(scene)
