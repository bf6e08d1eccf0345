"""The real generator: layout pool -> Mitsuba render (through ``dr.wrap``) -> detector
model, behind the same interface as the stand-in, so the trainer cannot tell them apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ..config import SceneConfig
from .generator import ParamModel


class BridgeGenerator(nn.Module):
    """``pool_size`` layouts of ``cfg`` built once (Blender) and cached under ``cache_dir``;
    ``coverages`` (one per layout, see :mod:`.content`) makes them cover what real patches do."""

    def __init__(self, cfg: SceneConfig, seed: int, pool_size: int, cache_dir: Path, spp: int = 8,
                 fixed: tuple[str, ...] = (), progress=None, coverages=None):
        super().__init__()
        from ..appearance.params import param_specs
        from .pool import LayoutPool

        self.spp = spp
        self.pool = LayoutPool(cfg, seed, pool_size, Path(cache_dir), spp=spp, progress=progress,
                               coverages=coverages)
        self.features = torch.tensor(np.stack([self.pool.features(i) for i in range(pool_size)]))
        self.params = ParamModel(param_specs(cfg), fixed=fixed)
        self.params.remember_features(self.features)

    def forward(self, batch_size: int, step_seed: int) -> tuple[torch.Tensor, dict]:
        from ..bridge.render import render_with_noise

        g = torch.Generator().manual_seed(int(step_seed))
        idx = torch.randint(self.pool.size, (batch_size,), generator=g)
        eps = torch.randn((batch_size, len(self.params.names)), generator=g)
        values = self.params(self.features[idx], eps)
        imgs = [render_with_noise(self.pool.scene(int(i)), v, (int(step_seed) + k) % 2**31, g, spp=self.spp)
                for k, (i, v) in enumerate(zip(idx, values))]
        return torch.cat(imgs), {"layouts": idx.tolist(), "values": values}

    def named_values(self) -> dict[str, dict[str, float]]:
        return self.params.named_values()
