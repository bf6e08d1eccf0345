"""prior.png: what a person checks before trusting a prior - the sizes measured on the
real images against the inferred law, and real fields with the particles found."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_figure(path: Path, d_real_nm: np.ndarray, d_syn_nm: np.ndarray, law: dict, fields: list,
                 title: str, real_label: str = "real, split", syn_label: str = "prior's layouts, same estimator") -> None:
    """``fields``: (image 0..1, label image) pairs, shown with the labels' outlines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    n = len(fields)
    fig, axes = plt.subplots(1, 1 + n, figsize=(4.2 * (1 + n), 4.2))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    hi = float(np.percentile(np.concatenate([d_real_nm, d_syn_nm]) if d_syn_nm.size else d_real_nm, 99.5))
    bins = np.linspace(0, hi, 40)
    ax.hist(d_real_nm, bins, density=True, alpha=0.55, label=f"{real_label} (n={d_real_nm.size})")
    if d_syn_nm.size:
        ax.hist(d_syn_nm, bins, density=True, histtype="step", lw=1.6,
                label=f"{syn_label} (n={d_syn_nm.size})")
    x = np.linspace(max(bins[1], 1e-3), hi, 300)
    med, s = law["median_nm"], max(law["sigma_log"], 1e-3)
    pdf = np.exp(-0.5 * (np.log(x / med) / s) ** 2) / (x * s * np.sqrt(2 * np.pi))
    ax.plot(x, pdf, "k--", lw=1.2, label=f"law: lognormal {med:.0f} nm, sigma {s:.2f}")
    ax.set_xlabel("equivalent diameter (nm)")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=8)
    for ax, (img, lab) in zip(axes[1:], fields):
        rgb = np.repeat(np.clip(img, 0, 1)[..., None], 3, axis=2)
        b = find_boundaries(lab, mode="inner")
        rgb[b] = [1.0, 0.25, 0.1]
        ax.imshow(rgb, interpolation="nearest")
        ax.set_axis_off()
    fig.tight_layout()
    tmp = Path(path).with_name(Path(path).name + ".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)


def crops(images: list[np.ndarray], labels: list[np.ndarray], count: int = 3, size: int = 320) -> list:
    """The ``count`` fields with most particles, each cut to its busiest ``size`` square."""
    order = np.argsort([-(lab > 0).mean() for lab in labels])[:count]
    out = []
    for i in sorted(order):
        img, lab = images[i], labels[i]
        s = min(size, *img.shape)
        fg = (lab > 0).astype(np.float32)
        best, by, bx = -1.0, 0, 0
        for y in range(0, img.shape[0] - s + 1, max(1, s // 4)):
            for x in range(0, img.shape[1] - s + 1, max(1, s // 4)):
                v = fg[y:y + s, x:x + s].mean()
                if v > best:
                    best, by, bx = v, y, x
        lo, hi = np.percentile(img, [1, 99.5])
        out.append(((img[by:by + s, bx:bx + s] - lo) / max(hi - lo, 1e-6), lab[by:by + s, bx:bx + s]))
    return out
