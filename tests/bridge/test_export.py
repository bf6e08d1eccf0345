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


def test_moved_parented_and_scaled_objects_export_in_world_space():
    """describe() skips the depsgraph update for free objects: moving one afterwards, or
    parenting it (world matrix from the parent) must still export world coordinates and
    unit normals, the same as Blender's own evaluated matrix_world."""
    import bpy

    with silence_stdout():
        scene = build_scene(_layout([]))
    a = scene.objects["particle_00001"]
    b = scene.objects["particle_00002"]
    a.location = (5.0, -3.0, 2.0)
    a.scale = (1.0, 2.0, 0.5)
    before = describe(scene)["shapes"]["particle_00001"]
    bpy.context.view_layer.update()
    mw = np.array(a.matrix_world)
    local = np.array([v.co for v in a.data.vertices])
    expected = local @ mw[:3, :3].T + mw[:3, 3]
    assert np.allclose(before["vertices"], expected, atol=1e-3)
    assert np.allclose(np.linalg.norm(before["normals"], axis=1), 1.0, atol=1e-5)
    # normals of a non-uniformly scaled sphere: inverse-transpose, as Blender's evaluated mesh
    ev = a.evaluated_get(bpy.context.evaluated_depsgraph_get())
    n_local = np.array([v.normal for v in a.data.vertices])
    n_ref = n_local @ np.linalg.inv(mw[:3, :3])
    n_ref /= np.linalg.norm(n_ref, axis=1, keepdims=True)
    assert ev is not None and np.allclose(before["normals"], n_ref, atol=1e-4)
    b.parent = a  # parented: the world matrix comes through the parent
    after = describe(scene)["shapes"]["particle_00002"]
    bpy.context.view_layer.update()
    mwb = np.array(b.matrix_world)
    local_b = np.array([v.co for v in b.data.vertices])
    assert np.allclose(after["vertices"], local_b @ mwb[:3, :3].T + mwb[:3, 3], atol=1e-3)
