"""A pure-torch stand-in for the Mitsuba bridge: soft discs on a substrate, then the
bridge's own detector model.

It exists so the whole fit (losses, augmentation, bounds, checkpoints, resume, reports)
can be verified in seconds and without Mitsuba: render 'real' images with known values,
start the fit elsewhere, and check that the parameters move towards the known values.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..seeds import STANDIN_LAYOUTS, stream

from ..appearance import detector as noise_model
from ..appearance.params import ParamSpec
from .generator import ParamModel

SPECS = {
    "particle.sem_base": ParamSpec("particle.sem_base", 0.5, 0.0, 1.0),
    "substrate.sem_base": ParamSpec("substrate.sem_base", 0.5, 0.0, 1.0),
    "noise.blur_sigma_px": ParamSpec("noise.blur_sigma_px", 0.5, 0.0, 3.0),
    "noise.read_sigma": ParamSpec("noise.read_sigma", 0.05, 0.0, 0.2),
}


def disc_layouts(n: int, size: int, seed: int) -> list[np.ndarray]:
    """``n`` layouts, each (K, 3): centre x, y and radius in px; K and radii vary."""
    rng = stream(seed, STANDIN_LAYOUTS)
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 7))
        r = rng.uniform(size * 0.05, size * 0.12, k)
        xy = rng.uniform(0, size, (k, 2))
        out.append(np.column_stack([xy, r]).astype(np.float32))
    return out


def layout_features(discs: np.ndarray, size: int) -> np.ndarray:
    """Particle count, coverage and mean size: what a parameter network conditions on."""
    r = discs[:, 2]
    return np.array([len(r) / 10.0, float((np.pi * r**2).sum()) / size**2, float(r.mean()) / size], np.float32)


def render_discs(discs: np.ndarray, size: int, values: dict[str, torch.Tensor],
                 generator: torch.Generator) -> torch.Tensor:
    """(1, 1, size, size): substrate + soft discs with a brighter rim (SEM edge glow),
    then the detector model; differentiable in every value."""
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float32) + 0.5,
                            torch.arange(size, dtype=torch.float32) + 0.5, indexing="ij")
    d = torch.as_tensor(discs)
    dist = torch.hypot(xx[None] - d[:, 0, None, None], yy[None] - d[:, 1, None, None])
    inside = torch.sigmoid((d[:, 2, None, None] - dist) / 0.7).amax(0)
    rim = (dist / d[:, 2, None, None]).clamp(max=1.0) ** 4 * torch.sigmoid((d[:, 2, None, None] - dist) / 0.7)
    rim = rim.amax(0)
    part, sub = values["particle.sem_base"], values["substrate.sem_base"]
    clean = sub + (part - sub) * inside + 0.3 * part * rim
    noise = {k.partition(".")[2]: v for k, v in values.items() if k.startswith("noise.")}
    x = clean[None, None]
    return noise_model.apply(x, noise, noise_model.draws(tuple(x.shape), generator))


class DiscGenerator(nn.Module):
    """The :class:`~.generator.Generator` interface over a pool of disc layouts."""

    def __init__(self, size: int = 64, pool_size: int = 16, seed: int = 0,
                 init: dict[str, float] | None = None, fixed: tuple[str, ...] = ()):
        super().__init__()
        self.size = size
        self.layouts = disc_layouts(pool_size, size, seed)
        self.features = torch.tensor(np.stack([layout_features(d, size) for d in self.layouts]))
        self.params = ParamModel(SPECS, fixed=fixed, init=init)
        self.params.remember_features(self.features)

    def forward(self, batch_size: int, step_seed: int) -> tuple[torch.Tensor, dict]:
        g = torch.Generator().manual_seed(int(step_seed))
        idx = torch.randint(len(self.layouts), (batch_size,), generator=g)
        eps = torch.randn((batch_size, len(self.params.names)), generator=g)
        values = self.params(self.features[idx], eps)
        imgs = torch.cat([render_discs(self.layouts[int(i)], self.size, v, g) for i, v in zip(idx, values)])
        return imgs, {"layouts": idx.tolist(), "values": values}

    def named_values(self) -> dict[str, dict[str, float]]:
        return self.params.named_values()


def standin_real_set(values: dict[str, float], n: int = 16, size: int = 64, seed: int = 99) -> list[np.ndarray]:
    """'Real' images with known values (no per-image spread), on layouts of their own."""
    g = torch.Generator().manual_seed(seed)
    layouts = disc_layouts(n, size, seed)
    full = {k: torch.tensor(float(values.get(k, s.default))) for k, s in SPECS.items()}
    with torch.no_grad():
        return [render_discs(d, size, full, g)[0, 0].numpy() for d in layouts]
