"""Detector and noise model of an SEM image, in torch and differentiable in every
parameter (noise is reparameterised: a fixed standard-normal draw scaled by learnable
widths). The same code runs in the fit and in data-set rendering.

Order follows the signal chain: specimen texture (the substrate's and particles' fine
surface structure, which the geometry does not model: band-limited random fields at
~2, ~4 and ~16 px with learnable amplitudes) -> probe blur (PSF) -> scan-line jitter -> signal-dependent
shot noise (Poisson-Gaussian) -> detector gamma, contrast and brightness -> read-out
Gaussian noise -> clip to the 0..1 image range.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..appearance.registry import NOISE_PARAMS  # noqa: F401 - declared with the other parameters

_TEXTURE_CELLS = {"texture_fine": 4, "texture_coarse": 16, "texture_grain": 2}  # correlation length, px


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable blur as a weighted sum of shifted views: unlike ``conv2d`` its backward
    pass is plain element-wise work (conv's weight gradient for a 1x13 kernel is slow on
    CPU and would dominate the step). sigma -> 0 tends to a delta kernel continuously."""
    radius = 6
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    s = torch.clamp(sigma, min=1e-3)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = k / k.sum()
    h, w = x.shape[-2:]
    xp = F.pad(x, (radius, radius, 0, 0), mode="replicate")
    y = sum(k[i] * xp[..., i:i + w] for i in range(2 * radius + 1))
    yp = F.pad(y, (0, 0, radius, radius), mode="replicate")
    return sum(k[i] * yp[..., i:i + h, :] for i in range(2 * radius + 1))


def _jitter(x: torch.Tensor, amount: torch.Tensor, z_rows: torch.Tensor) -> torch.Tensor:
    """Each scan line shifted horizontally by amount * z (px). Cubic (Keys) interpolation
    is C1 in the shift, so the gradient in ``amount`` has no kinks at whole pixels. The
    shift is constant along a row, so the four tap weights are per-row scalars."""
    b, _, h, w = x.shape
    s = -(amount * z_rows.view(b, h, 1))  # source offset of each row, px
    base = torch.floor(s)
    t = s - base
    t2, t3 = t * t, t * t * t
    weights = (-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0,
               -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2)
    cols = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, w) + base
    xi = x[:, 0]
    out = torch.zeros_like(xi)
    for k, wk in zip((-1, 0, 1, 2), weights):
        idx = torch.clamp(cols + k, 0, w - 1).long()
        out = out + wk * torch.gather(xi, 2, idx)
    return out.unsqueeze(1)


def draws(shape: tuple[int, ...], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """The standard-normal variates one image needs; fixing them fixes the noise."""
    b, _, h, w = shape
    out = {"rows": torch.randn((b, h), generator=generator),
           "shot": torch.randn(shape, generator=generator),
           "read": torch.randn(shape, generator=generator)}
    for name, cell in _TEXTURE_CELLS.items():
        coarse = torch.randn((b, 1, h // cell + 3, w // cell + 3), generator=generator)
        field = F.interpolate(coarse, scale_factor=cell, mode="bicubic", align_corners=False)[..., :h, :w]
        out[name] = (field - field.mean()) / (field.std() + 1e-6)  # unit variance: amplitude is the parameter
    return out


def apply(x: torch.Tensor, p: dict[str, torch.Tensor], z: dict[str, torch.Tensor]) -> torch.Tensor:
    """``x`` (B, 1, H, W) clean render; ``p`` parameter values (scalars or (B,) tensors)."""
    def v(name):
        val = p.get(name)
        if val is None:
            return torch.tensor(NOISE_PARAMS[name][0], dtype=x.dtype)
        val = torch.as_tensor(val, dtype=x.dtype)
        return val.view(-1, 1, 1, 1) if val.dim() else val

    for name in _TEXTURE_CELLS:
        if name in z:
            x = x + v(name) * z[name]
    y = torch.cat([_gaussian_blur(x[i:i + 1], v("blur_sigma_px").flatten()[min(i, v("blur_sigma_px").numel() - 1)])
                   for i in range(x.shape[0])])
    jit = v("jitter_px")
    y = _jitter(y, jit.view(-1, 1, 1) if jit.dim() else jit, z["rows"])
    y = y + torch.sqrt(torch.clamp(y, min=0.0) * v("shot_gain") + 1e-12) * z["shot"]
    y = torch.clamp(y, min=0.0) + 1e-6
    y = v("contrast") * y ** v("gamma") + v("brightness")
    y = y + v("read_sigma") * z["read"]
    return torch.clamp(y, 0.0, 1.0)


def apply_numpy(image: np.ndarray, values: dict[str, float], seed: int) -> np.ndarray:
    """Data-set path: one (H, W) float image, fixed seed, no gradients."""
    g = torch.Generator().manual_seed(int(seed))
    x = torch.as_tensor(np.asarray(image, np.float32))[None, None]
    with torch.no_grad():
        y = apply(x, {k: torch.tensor(float(val)) for k, val in values.items() if k in NOISE_PARAMS},
                  draws(tuple(x.shape), g))
    return y[0, 0].numpy()
