"""``dgan bridge check``: one layout rendered by Cycles and by the bridge, compared.

Figures: instance-mask agreement, Cycles-Mitsuba image agreement (SEM model and the
Principled path), each parameter's gradient against a central finite difference with
the same seeds, and the bridge's timings against a bare hand-written Mitsuba loop.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import torch

from ..config import SceneConfig
from ..io import to_uint8, write_png


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Pixels where both masks name the same particle, over pixels either calls foreground."""
    fg = (a > 0) | (b > 0)
    return float(((a == b) & fg).sum() / max(fg.sum(), 1))


def _median_time(fn, runs: int = 3) -> float:
    fn()  # warm: Dr.Jit compiles (or loads cached) kernels
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_point(specs) -> dict[str, float]:
    """Defaults, moved off their bounds so a central difference stays inside them."""
    out = {}
    for name, s in specs.items():
        span = s.high - s.low
        out[name] = min(max(s.default, s.low + 0.3 * span), s.high - 0.3 * span) \
            if name.startswith("noise.") else min(max(s.default, s.low + 0.05 * span), s.high - 0.05 * span)
    return out


def gradient_errors(ms, specs, spp: int, seed: int = 7) -> dict[str, float]:
    """Relative error of each AD gradient vs a central difference (same seeds, so the
    Monte Carlo samples are identical on both sides)."""
    from ..appearance import detector as noise_model
    from ..appearance.params import split
    from .render import render

    point = check_point(specs)
    h, w = ms.height, ms.width
    weights = torch.rand((1, 1, h, w), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z = {k: v.double() for k, v in noise_model.draws((1, 1, h, w), torch.Generator().manual_seed(3)).items()}

    def loss(values, clean=None):
        # render_with_noise, with the detector stage in float64: the noise parameters'
        # gradients are ~1e-4 of the loss, below float32 round-off over a 1e-3 step
        if clean is None:
            clean = render(ms, values, seed, spp=spp)[None, None].double()
        return (noise_model.apply(clean, split(values)[1], z) * weights).mean()

    values = {n: torch.tensor(v, requires_grad=True) for n, v in point.items()}
    loss(values).backward()
    with torch.no_grad():  # noise parameters do not change the render: difference the
        clean = render(ms, values, seed, spp=spp)[None, None].double()  # detector alone
    errors = {}
    for name, s in specs.items():
        is_noise = name.startswith("noise.")
        eps = (1e-5 if is_noise else 1e-3) * (s.high - s.low)
        plus = {n: torch.tensor(v) for n, v in point.items()}
        minus = dict(plus)
        plus[name] = torch.tensor(point[name] + eps)
        minus[name] = torch.tensor(point[name] - eps)
        with torch.no_grad():
            ref = clean if is_noise else None
            fd = (float(loss(plus, ref)) - float(loss(minus, ref))) / (2 * eps)
        ad = float(values[name].grad)
        scale = max(abs(fd), abs(ad))
        errors[name] = 0.0 if scale < 1e-7 else abs(ad - fd) / scale
    return errors


def bare_fwdbwd(ms, spp: int) -> float:
    """The floor: the same scene and spp rendered (the image evaluated, as any loss needs
    it) and differentiated by a minimal Dr.Jit loop, fresh seed per call, no torch."""
    dr, mi = ms.dr, ms.mi
    integ = ms.integrator
    names = ("mu", "level") if ms.mode == "transmission" else ("base", "edge", "exponent")
    arrays = [mi.Float(np.array(getattr(integ, n))) for n in names]
    seed = [0]

    def step():
        dr.enable_grad(*arrays)
        for n, a in zip(names, arrays):
            setattr(integ, n, a)
        img = integ.render(ms.scene, ms.sensor, seed=seed[0], spp=spp, develop=True, evaluate=False)
        loss = dr.mean(img, axis=None)
        dr.eval(img, loss)  # rendered, as a loss needs the image, then differentiated
        dr.backward(loss)
        dr.eval(*[dr.grad(a) for a in arrays])
        seed[0] += 1

    return _median_time(step)


def run_check(cfg: SceneConfig, seed: int, out: Path, spp: int) -> dict:
    from ..blender.builder import build_scene
    from ..blender.render import render_image, render_instances
    from ..geometry import generate_layout
    from .export import describe
    from ..appearance.params import param_specs
    from .render import render, render_with_noise
    from .scene import MitsubaScene
    from skimage.metrics import structural_similarity

    out = Path(out)
    layout = generate_layout(cfg, np.random.default_rng(seed), seed)
    scene = build_scene(layout)
    desc = describe(scene)
    cyc_inst = render_instances(scene)
    cyc = render_image(scene)
    ms = MitsubaScene(desc, spp=spp)
    mit_inst = ms.instances()
    specs = param_specs(cfg)
    defaults = {n: torch.tensor(s.default) for n, s in specs.items()}
    with torch.no_grad():
        mit = render(ms, defaults, seed=seed).numpy()
    result = {
        "preset": cfg.name, "seed": seed, "size": [cfg.image.width_px, cfg.image.height_px], "spp": spp,
        "mask_iou": round(mask_iou(cyc_inst, mit_inst), 5),
        "cycles_mitsuba_mae": round(float(np.abs(mit - cyc).mean()), 5),
        "cycles_mitsuba_ssim": round(float(structural_similarity(mit, cyc, data_range=1.0)), 5),
    }
    cyc_p = mit_p = None
    if cfg.imaging.mode == "se":
        cyc_p, mit_p = _principled_pair(cfg, scene, seed, spp)
        result["principled_mae"] = round(float(np.abs(mit_p - cyc_p).mean()), 5)
        result["principled_ssim"] = round(float(structural_similarity(
            np.clip(mit_p, 0, 1), np.clip(cyc_p, 0, 1), data_range=1.0)), 5)

    errors = gradient_errors(ms, specs, spp)
    result["grad_rel_err_max"] = round(max(errors.values()), 5)
    result["grad_rel_err"] = {k: round(v, 5) for k, v in errors.items()}

    values = {n: torch.tensor(v.default, requires_grad=True) for n, v in specs.items()}
    gen = torch.Generator().manual_seed(0)
    seeds = iter(range(100, 10**6))  # a fresh seed per call, as in a fit (and as the bare loop)

    def fwd():
        with torch.no_grad():
            render(ms, values, next(seeds), spp=spp)

    def fwdbwd():  # the bridge's differentiable render, the work the bare loop does
        render(ms, values, next(seeds), spp=spp).mean().backward()

    def chain_fwdbwd():  # render plus the torch detector model, as one fit step uses it
        render_with_noise(ms, values, next(seeds), gen, spp=spp).mean().backward()

    result["fwd_s"] = round(_median_time(fwd), 4)
    result["fwdbwd_s"] = round(_median_time(fwdbwd), 4)
    result["bare_fwdbwd_s"] = round(bare_fwdbwd(ms, spp), 4)
    result["fwdbwd_over_bare"] = round(result["fwdbwd_s"] / result["bare_fwdbwd_s"], 3)
    result["fwdbwd_with_noise_s"] = round(_median_time(chain_fwdbwd), 4)

    write_png(out / "cycles.png", to_uint8(cyc))
    write_png(out / "mitsuba.png", to_uint8(mit))
    write_png(out / "cycles_instances.png", cyc_inst)
    write_png(out / "mitsuba_instances.png", mit_inst)
    diff = np.clip(np.abs(mit - cyc) * 10, 0, 1)
    row1 = np.hstack([cyc, mit, diff])
    rows = [row1]
    if cyc_p is not None:
        rows.append(np.hstack([np.clip(cyc_p, 0, 1), np.clip(mit_p, 0, 1), np.clip(np.abs(mit_p - cyc_p) * 10, 0, 1)]))
    write_png(out / "side_by_side.png", to_uint8(np.vstack(rows)))
    return result


def _principled_pair(cfg: SceneConfig, scene, seed: int, spp: int) -> tuple[np.ndarray, np.ndarray]:
    """The Principled path of the same scene, rendered by both renderers."""
    from dataclasses import replace

    from ..blender.builder import configure_render, make_material
    from ..blender.render import render_image
    from .export import describe
    from .principled import render_principled

    pcfg = replace(cfg, particle_material=replace(cfg.particle_material, shading="principled"),
                   substrate=replace(cfg.substrate, material=replace(cfg.substrate.material, shading="principled")))
    for obj in scene.objects:
        if obj.type == "MESH":
            m = pcfg.particle_material if obj.pass_index > 0 else pcfg.substrate.material
            obj.data.materials[0] = make_material(f"p_{obj.name}", m)
    configure_render(scene, pcfg, seed)
    return render_image(scene), render_principled(describe(scene), spp, seed)
