"""The generator side of the fit: what the trainer needs from a renderer, and the
parameter model that turns learnable logits into bounded physical values.

The trainer never imports Mitsuba: anything that satisfies :class:`Generator` can be
fitted (the bridge in :mod:`.bridge_gen`, the pure-torch stand-in in :mod:`.standin`),
so the GAN machinery is tested without a renderer.

Each parameter is ``low + (high - low) * sigmoid(mu + a . f(layout) + s * eps)``: a global
learnable ``mu``; a small linear head on layout features (count, coverage, size) so the
look may depend on the layout, as in the paper; and a learnable per-image spread ``s``
(reparameterised noise) with a floor, so per-image variation cannot collapse to zero.
"""

from __future__ import annotations

import math
from typing import Iterator, Protocol

import numpy as np
import torch
import torch.nn as nn

N_FEATURES = 3
MIN_SPREAD = 0.05  # logit units: ~1 % of the range near the middle
INIT_SPREAD = 0.15


class Generator(Protocol):
    """``generator(batch_size, step_seed) -> (images (B, 1, H, W) in 0..1, aux)``.

    Every random choice (layouts, per-image parameter draws, render and noise seeds)
    must follow from ``step_seed``, so a resumed run and an evaluation on a fixed seed
    are reproducible. ``params`` is the :class:`ParamModel`; ``parameters()`` and
    ``state_dict()`` are those of an ``nn.Module``.
    """

    params: "ParamModel"

    def __call__(self, batch_size: int, step_seed: int) -> tuple[torch.Tensor, dict]: ...

    def parameters(self) -> Iterator[nn.Parameter]: ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> object: ...

    def named_values(self) -> dict[str, dict[str, float]]: ...


class ParamModel(nn.Module):
    """``specs``: name -> object with ``default``, ``low``, ``high`` (e.g. bridge ParamSpec).
    Names in ``fixed`` keep their ``init`` value (else the default) and are not learned."""

    def __init__(self, specs: dict, fixed: tuple[str, ...] = (), n_features: int = N_FEATURES,
                 init: dict[str, float] | None = None):
        super().__init__()
        self.names = [n for n in specs if n not in fixed]
        self.specs = specs
        start = {n: float((init or {}).get(n, s.default)) for n, s in specs.items()}
        self.fixed_values = {n: start[n] for n in specs if n in fixed}
        lo = torch.tensor([float(specs[n].low) for n in self.names])
        hi = torch.tensor([float(specs[n].high) for n in self.names])
        d = torch.tensor([float(start[n]) for n in self.names])
        frac = ((d - lo) / (hi - lo)).clamp(0.02, 0.98)
        self.register_buffer("low", lo)
        self.register_buffer("high", hi)
        self.mu = nn.Parameter(torch.log(frac / (1 - frac)))
        self.head = nn.Linear(n_features, len(self.names))
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.log_spread = nn.Parameter(torch.full((len(self.names),), math.log(INIT_SPREAD - MIN_SPREAD)))
        self.register_buffer("features_seen", torch.zeros(0, n_features))

    def spread(self) -> torch.Tensor:
        return MIN_SPREAD + torch.exp(self.log_spread)

    def values(self, features: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """features (B, F), eps (B, P) standard normal -> physical values (B, P), inside bounds."""
        logits = self.mu + self.head(features) + self.spread() * eps
        return self.low + (self.high - self.low) * torch.sigmoid(logits)

    def forward(self, features: torch.Tensor, eps: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """One name -> value dict per image; fixed parameters at their defaults."""
        values = self.values(features, eps)
        fixed = {n: torch.tensor(v) for n, v in self.fixed_values.items()}
        return [{**fixed, **{n: values[b, k] for k, n in enumerate(self.names)}} for b in range(len(values))]

    def remember_features(self, features: torch.Tensor) -> None:
        """The layouts' features, so ``named_values`` can summarise over them later."""
        self.features_seen = torch.as_tensor(features, dtype=torch.float32).clone()

    @torch.no_grad()
    def named_values(self, features: torch.Tensor | None = None, samples: int = 256, seed: int = 0) -> dict:
        """Each parameter's value (mean) and spread (std) over layouts and per-image draws."""
        feats = self.features_seen if features is None else features
        if len(feats) == 0:
            feats = torch.zeros(1, self.head.in_features)
        g = torch.Generator().manual_seed(seed)
        idx = torch.randint(len(feats), (samples,), generator=g)
        eps = torch.randn((samples, len(self.names)), generator=g)
        values = self.values(feats[idx], eps)
        out = {}
        for k, n in enumerate(self.names):
            out[n] = {"value": float(values[:, k].mean()), "spread": float(values[:, k].std()),
                      "low": float(self.low[k]), "high": float(self.high[k])}
        for n, v in self.fixed_values.items():
            s = self.specs[n]
            out[n] = {"value": v, "spread": 0.0, "low": float(s.low), "high": float(s.high)}
        return out
