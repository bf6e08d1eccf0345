import numpy as np
import pytest

from dgan_blender.mitsuba_env import variant_works

VARIANTS = ["llvm_ad_mono", "cuda_ad_mono"]
_works: dict[str, bool] = {}


@pytest.fixture(params=VARIANTS)
def variant(request):
    """Each test runs per Mitsuba variant; CUDA only where a GPU makes it work."""
    name = request.param
    if name not in _works:
        _works[name] = variant_works(name)[0]
    if not _works[name]:
        pytest.skip(f"{name} does not work on this machine")
    return name


@pytest.fixture
def tiny_tio2():
    from dgan_blender.config import load_config
    from dgan_blender.geometry import generate_layout

    cfg = load_config("tio2-sem", ["image.width_px=64", "image.height_px=64", "render.spp=8",
                                   "image.pixel_size_nm=14.0"])
    return generate_layout(cfg, np.random.default_rng(4), 4)


def weighted_gradients(ms, values: dict[str, float], seed: int = 1) -> list[float]:
    """d/dv of a fixed random weighting of one render, for each of ``values``."""
    import torch

    from dgan_blender.bridge.render import render

    v = {k: torch.tensor(x, requires_grad=True) for k, x in values.items()}
    img = render(ms, v, seed=seed)
    weights = torch.rand(img.shape, generator=torch.Generator().manual_seed(0))
    (img * weights).sum().backward()
    return [t.grad.item() for t in v.values()]
