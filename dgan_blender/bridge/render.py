"""The differentiable render: torch parameter tensors in, a torch image out.

``dr.wrap`` carries torch tensors into Dr.Jit and gradients back, so a PyTorch optimiser
and discriminator drive Mitsuba directly. Each call takes its own ``seed``; with a
different ``seed_grad`` the image's value and its gradient come from independent sample
sets (Mitsuba's decorrelation, one extra forward pass).
"""

from __future__ import annotations

import torch

from ..appearance import detector as noise_model
from ..appearance.params import split
from .scene import CLASSES, MitsubaScene


def render_values(ms: MitsubaScene, values: dict[str, torch.Tensor], seed: int,
                  spp: int | None = None) -> torch.Tensor:
    """Clean SEM render (H, W), differentiable in the material and gain values."""
    import drjit as dr

    mi = ms.mi
    names = [n for n in sorted(values) if n.partition(".")[0] in ("particle", "substrate", "light")]
    tensors = [torch.as_tensor(values[n], dtype=torch.float32).reshape(1) for n in names]

    @dr.wrap(source="torch", target="drjit")
    def _render(*args):
        vals = {n: mi.Float(a.array) for n, a in zip(names, args)}
        mats, _ = split(vals)
        ms.set_materials({c: mats[c] for c in CLASSES})
        return ms.render(seed=seed, spp=spp)

    return _render(*tensors)


def render(ms: MitsubaScene, values: dict[str, torch.Tensor], seed: int, seed_grad: int | None = None,
           spp: int | None = None) -> torch.Tensor:
    if seed_grad is None or seed_grad == seed:
        return render_values(ms, values, seed, spp)
    with torch.no_grad():
        value = render_values(ms, {k: v.detach() for k, v in values.items()}, seed, spp)
    grad_path = render_values(ms, values, seed_grad, spp)
    return value + (grad_path - grad_path.detach())


def render_with_noise(ms: MitsubaScene, values: dict[str, torch.Tensor], seed: int,
                      generator: torch.Generator, spp: int | None = None) -> torch.Tensor:
    """Render then detector model: (1, 1, H, W) in 0..1, differentiable in all values."""
    clean = render(ms, values, seed, spp=spp)[None, None]
    _, noise = split(values)
    return noise_model.apply(clean, noise, noise_model.draws(tuple(clean.shape), generator))
