"""The bridge with the real bpy, mitsuba and torch on 64x64 scenes."""

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
from dgan_blender.bridge.render import render, render_with_noise  # noqa: E402
from dgan_blender.bridge.scene import MitsubaScene, mitsuba_dict  # noqa: E402

from .conftest import weighted_gradients  # noqa: E402


def test_description_is_plain_data(tiny_tio2):
    desc = describe(build_scene(tiny_tio2))
    particles = [s for s in desc["shapes"].values() if s["pass_index"] > 0]
    assert len(particles) == len(tiny_tio2.particles)
    for s in particles:
        assert s["vertices"].dtype == np.float32 and s["faces"].shape[1] == 3
        assert s["normals"] is not None and np.allclose(np.linalg.norm(s["normals"], axis=1), 1, atol=1e-3)
    assert desc["camera"]["type"] == "orthographic"
    assert desc["materials"]["dgan_particle"]["sem_base"] == pytest.approx(
        tiny_tio2.config.particle_material.sem_base)


def test_mitsuba_dict_inspectable(tiny_tio2, variant):
    from dgan_blender.mitsuba_env import import_mitsuba

    mi = import_mitsuba(variant)
    import drjit as dr

    d = mitsuba_dict(mi, dr, describe(build_scene(tiny_tio2)), spp=4)
    assert d["type"] == "scene" and d["integrator"]["type"] == "dgan_sem"
    assert d["sensor"]["type"] == "orthographic"
    assert d["sensor"]["film"]["rfilter"]["type"] == "box"


@pytest.mark.slow
def test_masks_and_images_agree_with_cycles(tiny_tio2, variant):
    scene = build_scene(tiny_tio2)
    ms = MitsubaScene(describe(scene), spp=32, variant=variant)
    assert mask_iou(render_instances(scene), ms.instances()) >= 0.98
    scene.cycles.samples = 32
    cyc = render_image(scene)
    with torch.no_grad():
        mit = render(ms, {}, seed=1).numpy()
    assert np.abs(mit - cyc).mean() <= 0.02


@pytest.mark.slow
def test_shadowing_darkens_alike_in_cycles_and_mitsuba(tiny_tio2, variant):
    """sem_shadow: Cycles' Ambient Occlusion node and the integrator's visibility ray
    must darken the same pixels by the same amount (and darken at all)."""
    import copy

    from dgan_blender.geometry import generate_layout

    cfg = copy.deepcopy(tiny_tio2.config)
    cfg.particle_material.sem_shadow = cfg.substrate.material.sem_shadow = 0.8
    layout = generate_layout(cfg, np.random.default_rng(4), 4)
    scene = build_scene(layout)
    scene.cycles.samples = 64
    cyc = render_image(scene)
    ms = MitsubaScene(describe(scene), spp=64, variant=variant)
    with torch.no_grad():
        mit = render(ms, {}, seed=1).numpy()
        plain = render(ms, {"particle.sem_shadow": torch.tensor(0.0),
                            "substrate.sem_shadow": torch.tensor(0.0)}, seed=1).numpy()
    inst = ms.instances()
    loss = (plain - mit)[inst > 0].mean()
    assert loss > 0.015  # particles lose signal where neighbours and the substrate block
    assert abs((plain - cyc)[inst > 0].mean() - loss) < 0.25 * loss
    assert np.abs(mit - cyc).mean() <= 0.02


@pytest.mark.slow
def test_gradients_match_finite_differences(tiny_tio2, variant):
    ms = MitsubaScene(describe(build_scene(tiny_tio2)), spp=4, variant=variant)
    errors = gradient_errors(ms, param_specs(tiny_tio2.config), spp=4)
    assert max(errors.values()) <= 0.1, errors


def test_gradients_repeat_to_the_bit(tiny_tio2, variant):
    """A fit of one seed repeats (and resumes) only if each step's gradients do: they
    may not depend on the order in which the back end's threads add the lanes up."""
    ms = MitsubaScene(describe(build_scene(tiny_tio2)), spp=64, variant=variant)
    values = {"particle.sem_base": 0.4, "particle.sem_edge": 0.6, "substrate.sem_base": 0.1,
              "particle.sem_shadow": 0.3, "particle.sem_exponent": 2.0}
    first = weighted_gradients(ms, values)
    assert all(g != 0 for g in first), first
    assert all(weighted_gradients(ms, values) == first for _ in range(4))


def test_seed_changes_noise_and_same_seed_repeats(tiny_tio2, variant):
    ms = MitsubaScene(describe(build_scene(tiny_tio2)), spp=2, variant=variant)
    with torch.no_grad():
        a, b, c = render(ms, {}, 1), render(ms, {}, 1), render(ms, {}, 2)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_seed_grad_decorrelates_but_keeps_value(tiny_tio2, variant):
    ms = MitsubaScene(describe(build_scene(tiny_tio2)), spp=2, variant=variant)
    v = {"particle.sem_base": torch.tensor(0.4, requires_grad=True)}
    img = render(ms, v, seed=1, seed_grad=2)
    with torch.no_grad():
        ref = render(ms, {"particle.sem_base": torch.tensor(0.4)}, seed=1)
    assert torch.allclose(img, ref)
    img.mean().backward()
    assert v["particle.sem_base"].grad > 0


def test_noise_model_bounds_and_gradients():
    from dgan_blender.appearance import detector as noise

    x = torch.rand(2, 1, 32, 32)
    p = {k: torch.tensor(d, requires_grad=True) for k, (d, lo, hi) in noise.NOISE_PARAMS.items()}
    p["jitter_px"] = torch.tensor(0.8, requires_grad=True)
    y = noise.apply(x, p, noise.draws(tuple(x.shape), torch.Generator().manual_seed(0)))
    assert y.shape == x.shape and float(y.detach().min()) >= 0 and float(y.detach().max()) <= 1
    (y * torch.rand_like(y)).sum().backward()
    for name in ("blur_sigma_px", "jitter_px", "shot_gain", "gamma", "contrast", "read_sigma"):
        assert p[name].grad is not None and p[name].grad != 0, name


def test_render_engine_matches_cycles(tiny_tio2):
    from dgan_blender.blender.render import _render_exr
    from dgan_blender.bridge import engine

    scene = build_scene(tiny_tio2)
    scene.cycles.samples = 16
    cyc = _render_exr(scene)[..., 0]
    engine.register()
    scene.render.engine = engine.ENGINE_ID
    img = _render_exr(scene)[..., 0]
    assert img.shape == cyc.shape
    assert np.abs(img - cyc).mean() < 0.02


def test_layout_pool_caches(tmp_path, tiny_tio2):
    from dgan_blender.fit.pool import LayoutPool

    pool = LayoutPool(tiny_tio2.config, seed=3, size=2, cache_dir=tmp_path, spp=2)
    files = sorted(pool.dir.glob("layout_*.npz"))
    assert len(files) == 2
    stamp = [f.stat().st_mtime_ns for f in files]
    pool2 = LayoutPool(tiny_tio2.config, seed=3, size=2, cache_dir=tmp_path, spp=2)
    assert [f.stat().st_mtime_ns for f in files] == stamp  # reused, not rebuilt
    a, b = pool2.scene(0), pool2.scene(1)
    assert (a.instances() > 0).any() and not np.array_equal(a.instances(), b.instances())


def test_footprint_is_the_rendered_instance_mask(variant, tiny_tio2):
    from dgan_blender.blender.builder import build_scene
    from dgan_blender.bridge.export import describe
    from dgan_blender.bridge.scene import MitsubaScene
    from dgan_blender.geometry.footprint import footprint

    seen = MitsubaScene(describe(build_scene(tiny_tio2)), spp=1, variant=variant).instances() > 0
    mask = footprint(tiny_tio2)
    assert seen.sum() > 50
    assert (mask != seen).mean() < 0.01 and mask.sum() >= seen.sum()


def test_layout_pool_with_coverages(tmp_path, tiny_tio2):
    from dgan_blender.fit.pool import LayoutPool

    cfg = tiny_tio2.config
    plain = LayoutPool(cfg, seed=3, size=2, cache_dir=tmp_path, spp=2)
    matched = LayoutPool(cfg, seed=3, size=2, cache_dir=tmp_path, spp=2, coverages=[0.12, 0.35])
    assert matched.dir != plain.dir  # a different pool, cached apart
    seen = [(matched.scene(i).instances() > 0).mean() for i in range(2)]
    assert seen[0] == pytest.approx(0.12, rel=0.3) and seen[1] == pytest.approx(0.35, rel=0.3)
    with pytest.raises(ValueError, match="3 coverages for 2 layouts"):
        LayoutPool(cfg, seed=3, size=2, cache_dir=tmp_path, coverages=[0.1, 0.2, 0.3])


def test_render_and_instances_together_equal_each_alone(variant, tiny_tio2):
    ms = MitsubaScene(describe(build_scene(tiny_tio2)), spp=4, variant=variant)
    image, inst = ms.render_and_instances(seed=5)
    assert image.dtype == np.float32 and inst.dtype == np.uint16
    assert np.array_equal(inst, ms.instances())
    assert np.allclose(image, np.array(ms.render(seed=5)), atol=1e-6)


def test_new_layout_and_values_reuse_compiled_kernels(variant, tiny_tio2):
    """A data set renders a new layout with new material values per sample: neither may
    compile a kernel (a camera clip distance or a value compiled in as a constant cost
    ~0.25 s per sample). Every kernel of the second sample must come from this
    process's memory, not the compiler or the disk cache."""
    import drjit as dr

    from dgan_blender.geometry import generate_layout

    other = generate_layout(tiny_tio2.config, np.random.default_rng(11), 11)
    descs = [describe(build_scene(lay)) for lay in (tiny_tio2, other)]
    assert descs[0]["camera"]["far"] != descs[1]["camera"]["far"]  # the camera follows the layout
    values = [{"particle": {"sem_base": 0.31, "sem_edge": 0.55}}, {"particle": {"sem_base": 0.47, "sem_edge": 0.6}}]
    with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
        for k, (desc, vals) in enumerate(zip(descs, values)):
            dr.kernel_history()  # drop what came before
            ms = MitsubaScene(desc, spp=4, variant=variant)
            ms.set_materials(vals)
            ms.render_and_instances(seed=k)
            jit = [h for h in dr.kernel_history() if h["type"] == dr.KernelType.JIT]
    assert jit and all(h["cache_hit"] and not h["cache_disk"] for h in jit), \
        [(h["cache_hit"], h["cache_disk"]) for h in jit]


@pytest.mark.slow
def test_layout_pool_redraws_a_layout_that_cannot_be_packed():
    """The fit's pool follows the data set's redraw rule: in the crowded 48 px field of
    tests/dataset/test_sample.py sio2-him seed 2 index 2's first draw does not pack, the
    pool builds the redraw the data set takes."""
    from dgan_blender.fit.pool import build_description
    from dgan_blender.config import load_config
    from dgan_blender.dataset.sample import sample_layout
    from dgan_blender.geometry import PackingError, generate_layout
    from dgan_blender.seeds import layout_seed

    cfg = load_config("sio2-him", ["image.width_px=48", "image.height_px=48", "particles.coverage=0.7"])
    s0 = layout_seed(2, 2, 0)
    with pytest.raises(PackingError):
        generate_layout(cfg, np.random.default_rng(s0), s0)
    desc = build_description(cfg, 2, 2)
    lay, attempt = sample_layout(cfg, 2, 2)  # the data set's redraw of the same sample
    assert attempt >= 1
    n = len(lay.particles)
    assert sum(1 for s in desc["shapes"].values() if s["pass_index"] > 0) == n
