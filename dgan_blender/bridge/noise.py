"""Detector and noise model of an SEM image, in torch and differentiable in every
parameter (noise is reparameterised: a fixed standard-normal draw scaled by learnable
widths). The same code runs in the fit and in data-set rendering.

Order follows the signal chain: probe blur (PSF) -> scan-line jitter -> signal-dependent
shot noise (Poisson-Gaussian) -> detector gamma, contrast and brightness -> read-out
Gaussian noise -> clip to the 0..1 image range.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# name: (default, low, high) - defaults are a clean detector, bounds physical
NOISE_PARAMS = {
    "blur_sigma_px": (0.5, 0.0, 3.0),
    "jitter_px": (0.0, 0.0, 2.0),
    "shot_gain": (0.002, 0.0, 0.05),
    "gamma": (1.0, 0.4, 2.5),
    "contrast": (1.0, 0.2, 3.0),
    "brightness": (0.0, -0.5, 0.5),
    "read_sigma": (0.01, 0.0, 0.2),
}


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    radius = 6
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    s = torch.clamp(sigma, min=1e-3)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = k / k.sum()
    # sigma -> 0 gives a delta kernel: the blur vanishes continuously
    xp = F.pad(x, (radius, radius, 0, 0), mode="replicate")
    x = F.conv2d(xp, k.view(1, 1, 1, -1))
    xp = F.pad(x, (0, 0, radius, radius), mode="replicate")
    return F.conv2d(xp, k.view(1, 1, -1, 1))


def _jitter(x: torch.Tensor, amount: torch.Tensor, z_rows: torch.Tensor) -> torch.Tensor:
    """Each scan line shifted horizontally by amount * z (px). Cubic (Keys) interpolation
    is C1 in the shift, so the gradient in ``amount`` has no kinks at whole pixels."""
    b, _, h, w = x.shape
    shift = amount * z_rows.view(b, h, 1)  # px
    xs = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, w) - shift
    base = xs.floor()
    t = xs - base
    xi = x[:, 0]
    out = torch.zeros_like(xi)
    for k in (-1, 0, 1, 2):
        d = torch.abs(t - k)
        wk = torch.where(d <= 1, 1.5 * d**3 - 2.5 * d**2 + 1,
                         torch.where(d < 2, -0.5 * d**3 + 2.5 * d**2 - 4 * d + 2, torch.zeros_like(d)))
        idx = torch.clamp(base + k, 0, w - 1).long()
        out = out + wk * torch.gather(xi, 2, idx)
    return out.unsqueeze(1)


def draws(shape: tuple[int, ...], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """The standard-normal variates one image needs; fixing them fixes the noise."""
    b, _, h, w = shape
    return {"rows": torch.randn((b, h), generator=generator),
            "shot": torch.randn(shape, generator=generator),
            "read": torch.randn(shape, generator=generator)}


def apply(x: torch.Tensor, p: dict[str, torch.Tensor], z: dict[str, torch.Tensor]) -> torch.Tensor:
    """``x`` (B, 1, H, W) clean render; ``p`` parameter values (scalars or (B,) tensors)."""
    def v(name):
        val = p.get(name)
        if val is None:
            return torch.tensor(NOISE_PARAMS[name][0], dtype=x.dtype)
        val = torch.as_tensor(val, dtype=x.dtype)
        return val.view(-1, 1, 1, 1) if val.dim() else val

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
