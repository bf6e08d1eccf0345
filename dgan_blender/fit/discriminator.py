"""PatchGAN discriminator, GAN losses, and differentiable augmentation.

A few dozen real micrographs would let a discriminator memorise them; DiffAugment-style
augmentation (Zhao et al. 2020), applied identically in kind to real and synthetic
batches and differentiable for the latter, keeps it honest.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchGAN(nn.Module):
    """Isola et al.'s 70x70 PatchGAN (fewer channels: CPU budget); one logit per patch."""

    def __init__(self, channels: int = 32, layers: int = 3, spectral: bool = True):
        super().__init__()
        norm = nn.utils.spectral_norm if spectral else (lambda m: m)
        mods: list[nn.Module] = [norm(nn.Conv2d(1, channels, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        c = channels
        for i in range(1, layers):
            c2 = min(channels * 2 ** i, 256)
            mods += [norm(nn.Conv2d(c, c2, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            c = c2
        mods += [norm(nn.Conv2d(c, c, 4, 1, 1)), nn.LeakyReLU(0.2, True), norm(nn.Conv2d(c, 1, 4, 1, 1))]
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2.0 - 1.0)


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str = "lsgan") -> torch.Tensor:
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()


def g_loss(fake_logits: torch.Tensor, kind: str = "lsgan") -> torch.Tensor:
    if kind == "hinge":
        return -fake_logits.mean()
    return 0.5 * ((fake_logits - 1) ** 2).mean()


def diff_augment(x: torch.Tensor, generator: torch.Generator, p: float = 1.0) -> torch.Tensor:
    """Brightness, contrast, translation (1/8 of the size) and cutout (1/4), per image."""
    if p <= 0:
        return x
    b, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=generator)  # noqa: E731
    x = x + (r(b, 1, 1, 1) - 0.5) * 0.2
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (r(b, 1, 1, 1) * 0.5 + 0.75) + mean
    # translation with zero padding
    sh, sw = h // 8, w // 8
    ty = (r(b) * (2 * sh + 1)).long() - sh
    tx = (r(b) * (2 * sw + 1)).long() - sw
    padded = F.pad(x, (sw, sw, sh, sh))
    rows = (torch.arange(h).view(1, h) + ty.view(b, 1) + sh).clamp(0, h + 2 * sh - 1)
    cols = (torch.arange(w).view(1, w) + tx.view(b, 1) + sw).clamp(0, w + 2 * sw - 1)
    x = padded[torch.arange(b)[:, None, None], :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    # cutout
    ch, cw = h // 4, w // 4
    cy = (r(b) * h).long()
    cx = (r(b) * w).long()
    yy = torch.arange(h).view(1, h, 1)
    xx = torch.arange(w).view(1, 1, w)
    keep = ~((yy - cy.view(b, 1, 1)).abs() < ch // 2) | ~((xx - cx.view(b, 1, 1)).abs() < cw // 2)
    return x * keep.unsqueeze(1).to(x.dtype)
