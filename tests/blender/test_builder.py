"""The Blender adapter with the real bpy on tiny scenes."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from dgan_blender.blender.builder import build_scene  # noqa: E402
from dgan_blender.blender.render import render_image, render_instances, save_blend  # noqa: E402


def test_scene_objects_and_pass_index(two_sphere_layout):
    scene = build_scene(two_sphere_layout)
    parts = sorted(o.pass_index for o in bpy.data.collections["dgan_particles"].objects)
    assert parts == [1, 2]
    assert scene.camera.data.type == "ORTHO"
    assert scene.camera.data.ortho_scale == pytest.approx(128.0)
    assert scene.unit_settings.scale_length == pytest.approx(1e-9)
    assert scene["dgan_seed"] == 0
    for obj in bpy.data.collections["dgan_particles"].objects:
        assert obj.active_material.name == "dgan_particle"
    assert bpy.data.objects["dgan_substrate"].active_material.name == "dgan_substrate"


@pytest.mark.slow
def test_instance_mask_matches_projected_area(two_sphere_layout):
    scene = build_scene(two_sphere_layout)
    inst = render_instances(scene)
    assert inst.dtype == np.uint16 and inst.shape == (64, 64)
    assert set(np.unique(inst)) == {0, 1, 2}
    px = 2.0
    for pid, r in ((1, 20.0), (2, 15.0)):
        expected = np.pi * (r / px) ** 2
        assert abs((inst == pid).sum() - expected) / expected < 0.04
    # sphere 1 is centred at (40, 60) nm -> column 19.5, row 64 - 30 - 0.5 = 33.5
    ys, xs = np.nonzero(inst == 1)
    assert xs.mean() == pytest.approx(19.5, abs=0.3) and ys.mean() == pytest.approx(33.5, abs=0.3)
    # reproducible: the same scene renders the same mask
    assert np.array_equal(inst, render_instances(scene))


@pytest.mark.slow
def test_sem_render_edges_glow(two_sphere_layout, tmp_path):
    scene = build_scene(two_sphere_layout)
    img = render_image(scene)
    inst = render_instances(scene)
    cfg = two_sphere_layout.config
    assert img.shape == (64, 64)
    sub = img[inst == 0]
    # pixels whose centre sees the substrate but whose box footprint clips a sphere differ
    assert np.mean(np.abs(sub - cfg.substrate.material.sem_base) < 0.01) > 0.95
    ys, xs = np.nonzero(inst == 1)
    centre = img[int(round(ys.mean())), int(round(xs.mean()))]
    assert centre == pytest.approx(cfg.particle_material.sem_base, abs=0.03)
    edge = img[(inst == 1)].max()
    assert edge > centre + 0.2  # grazing angles are brighter
    save_blend(tmp_path / "s.blend")
    assert (tmp_path / "s.blend").stat().st_size > 10_000


def test_particles_sharing_a_topology_keep_their_own_geometry(two_sphere_layout):
    """Both spheres have one topology, so the second is a copy of the first's mesh with
    new positions: each must read back exactly as given, as its own data block, with
    Blender's smooth normals, and no template mesh may stay behind."""
    from dgan_blender.bridge.export import describe

    scene = build_scene(two_sphere_layout)
    desc = describe(scene)
    meshes = {o.data.name for o in bpy.data.collections["dgan_particles"].objects}
    assert len(meshes) == 2 and len(bpy.data.meshes) == 3  # two particles, the substrate
    for p in two_sphere_layout.particles:
        shape = desc["shapes"][f"particle_{p.id:05d}"]
        np.testing.assert_allclose(shape["vertices"], p.mesh.vertices, atol=1e-4)
        assert np.array_equal(shape["faces"], p.mesh.faces)
        radial = p.mesh.vertices - p.center_nm
        radial /= np.linalg.norm(radial, axis=1, keepdims=True)
        assert np.mean(np.sum(shape["normals"] * radial, axis=1)) > 0.99  # outward, per particle
    assert desc["shapes"]["dgan_substrate"]["normals"] is None  # flat: shaded per face


def test_the_next_build_refills_the_kept_materials(two_sphere_layout):
    import dataclasses

    from dgan_blender.bridge.export import describe

    cfg = two_sphere_layout.config
    build_scene(two_sphere_layout)
    first = bpy.data.materials["dgan_particle"]
    first.node_tree.nodes["sem_gain"].inputs[1].default_value = 2.5  # as a written-back look would
    pm = dataclasses.replace(cfg.particle_material, sem_base=0.21, sem_edge=0.9, sem_shadow=0.4, sem_shadow_nm=33.0)
    other = dataclasses.replace(two_sphere_layout, config=dataclasses.replace(cfg, particle_material=pm))
    desc = describe(build_scene(other))
    assert bpy.data.materials["dgan_particle"] == first  # the same data block, refilled
    assert len([m for m in bpy.data.materials if m.name.startswith("dgan_particle")]) == 1
    got = desc["materials"]["dgan_particle"]
    assert got["sem_base"] == pytest.approx(0.21) and got["sem_edge"] == pytest.approx(0.9)
    assert got["sem_shadow"] == pytest.approx(0.4) and got["sem_shadow_nm"] == pytest.approx(33.0)
    assert got["sem_gain"] == 1.0
    # a chain edited by hand is built again, whole
    first.node_tree.nodes.remove(first.node_tree.nodes["sem_edge"])
    desc = describe(build_scene(two_sphere_layout))
    assert desc["materials"]["dgan_particle"]["sem_edge"] == pytest.approx(cfg.particle_material.sem_edge)
    # a different shading gets its own material
    pr = dataclasses.replace(cfg.particle_material, shading="principled", roughness=0.25)
    prin = dataclasses.replace(two_sphere_layout, config=dataclasses.replace(cfg, particle_material=pr))
    desc = describe(build_scene(prin))
    got = desc["materials"]["dgan_particle"]
    assert got["shading"] == "principled" and got["roughness"] == pytest.approx(0.25)
    assert got["base_color"] == pytest.approx(list(pr.base_color))
