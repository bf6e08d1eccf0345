"""Tiny real-like micrographs and fake stage adapters for the runner's tests (the fakes
stand in for the slow stages only where a test is about the runner)."""

import numpy as np
import pytest

from dgan_blender.annotate import semantic_mask
from dgan_blender.io import write_png

PX_NM = 7.344  # the tio2-sem preset's pixel size: no resampling in the tiny runs


def discs(shape, centres, radii):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    inst = np.zeros(shape, np.int32)
    for k, ((cy, cx), r) in enumerate(zip(centres, radii), start=1):
        inst[(yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2] = k
    return inst


def micrograph(inst, rng, bar_rows=16):
    """Bright particles with brighter rims on a dark noisy ground, an information bar below."""
    sem = semantic_mask(inst)
    img = np.clip(40 + 90 * (sem == 1) + 150 * (sem == 2) + rng.normal(0, 6, inst.shape), 0, 255).astype(np.uint8)
    bar = np.zeros((bar_rows, inst.shape[1]), np.uint8)
    bar[4:12, 10:60:3] = 255
    return np.vstack([img, bar])


def write_real(root, n=3, size=(112, 128), seed=0, masks=False):
    """``n`` PNG micrographs (and, with ``masks``, NAME_m.png manual masks)."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    for i in range(n):
        k = int(rng.integers(5, 9))
        centres = [(int(rng.integers(10, size[0] - 10)), int(rng.integers(10, size[1] - 10))) for _ in range(k)]
        radii = rng.integers(5, 11, k).tolist()
        inst = discs(size, centres, radii)
        write_png(root / "images" / f"img{i}.png", micrograph(inst, rng))
        if masks:
            (root / "masks").mkdir(exist_ok=True)
            m = np.where(inst > 0, 255, 0).astype(np.uint8)
            write_png(root / "masks" / f"img{i}_m.png", np.vstack([m, np.zeros((16, size[1]), np.uint8)]))
    return root


@pytest.fixture
def real_dir(tmp_path):
    return write_real(tmp_path / "real")


@pytest.fixture
def real_with_masks(tmp_path):
    return write_real(tmp_path / "real_m", masks=True)


# ------------------------------------------------------------------ fake slow stages
def fake_fit(ctx, out, resumed, progress):
    (out / "params.toml").write_text("# fake look\n[parameters]\n")
    return {"iters": 0}


def fake_render(ctx, out, resumed, progress):
    rng = np.random.default_rng(ctx.seed_of("render"))
    for i in range(4):
        inst = discs((64, 64), [(20, 20), (44, 40)], [8, 10])
        write_png(out / "images" / f"{i:06d}.png", micrograph(inst, rng, bar_rows=0))
    return {"count": 4}


def fake_train(ctx, out, resumed, progress):
    (out / "model.pt").write_bytes(b"fake")
    return {"epochs": 1}


def fake_segment(ctx, out, resumed, progress):
    """Threshold and label: particles.csv and instances/ exactly as 'dgan segment' lays them out."""
    from dgan_blender.evaluate.data import load_images
    from dgan_blender.evaluate.instances import mask_to_instances
    from dgan_blender.evaluate.measure import particle_rows, write_csv

    rows = []
    for s in load_images(ctx.real, pixel_size_nm=ctx.pixel_size_nm):
        inst = mask_to_instances(s.image > 100)
        full = np.zeros((s.image.shape[0] + s.bar_rows, s.image.shape[1]), np.uint16)
        full[:s.image.shape[0]] = inst
        write_png(out / "instances" / f"{s.name}.png", full)
        rows.extend(particle_rows(s.name, inst, s.pixel_size_nm))
    write_csv(out / "particles.csv", rows)
    return {"n_images": 3}


@pytest.fixture
def fake_stages(monkeypatch):
    """The slow stages replaced by fakes; prior and report stay real. Returns the call counts."""
    from dgan_blender.measure import adapters

    calls = {}

    def counted(name, fn):
        def wrapper(*a):
            calls[name] = calls.get(name, 0) + 1
            return fn(*a)
        return wrapper

    real = dict(adapters.ADAPTERS)
    fakes = {"fit": fake_fit, "render": fake_render, "train": fake_train, "segment": fake_segment}
    for name in real:
        monkeypatch.setitem(adapters.ADAPTERS, name, counted(name, fakes.get(name, real[name])))
    return calls
