"""The report's pictures, as PNG bytes (inlined by :mod:`.report`)."""

from __future__ import annotations

import io

import cv2
import numpy as np

from ..annotate import contact_sheet
from ..evaluate.data import resample
from ..io import encode_png

BLUE, RED, GREY = "#4477aa", "#cc3344", "#555555"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    _plt().close(fig)
    return buf.getvalue()


def drawn_limit(d_nm: np.ndarray) -> float:
    """The histogram's right end: a few huge objects (a merged cluster) would otherwise
    stretch the axis over empty space and squeeze the distribution into a corner."""
    return float(np.percentile(d_nm, 99.5)) * 1.1


def size_histogram(d_nm: np.ndarray, stats: dict) -> bytes:
    """Histogram with the median (and its interval shaded), the mean and D10/D90."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.0, 3.8), dpi=110)
    if d_nm.size:
        top = drawn_limit(d_nm)
        shown = d_nm[d_nm <= top]
        ax.hist(shown, bins=min(40, max(8, shown.size // 6)), color=BLUE, edgecolor="white")
        ax.set_xlim(0, top)
        if shown.size < d_nm.size:
            ax.text(0.99, 0.97, f"{d_nm.size - shown.size} over {top:.0f} nm not drawn (counted)",
                    ha="right", va="top", fontsize=8, color=GREY, transform=ax.transAxes)
        med = stats["median_nm"]
        lo, hi = med["ci95"]
        if lo is not None:
            ax.axvspan(lo, hi, color=RED, alpha=0.15, lw=0, label=f"median 95 % CI {lo:.0f}-{hi:.0f} nm")
        ax.axvline(med["value"], color=RED, lw=2, label=f"median {med['value']:.1f} nm")
        ax.axvline(stats["mean_nm"]["value"], color="#228833", lw=1.5, ls="--",
                   label=f"mean {stats['mean_nm']['value']:.1f} nm")
        for q, label in (("d10_nm", "D10"), ("d90_nm", "D90")):
            ax.axvline(stats[q]["value"], color=GREY, lw=1, ls=":",
                       label=f"{label} {stats[q]['value']:.1f} nm")
        # outside the axes: inside it hides bars or the D90 line, whatever the distribution
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "no particles found", ha="center", transform=ax.transAxes)
    ax.set_xlabel("equivalent circular diameter / nm")
    ax.set_ylabel("particles")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def shape_histograms(circularity: np.ndarray, elongation: np.ndarray) -> bytes:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.8), dpi=110)
    for ax, values, label, rng in ((axes[0], circularity, "circularity (1 = disc)", (0, 1)),
                                   (axes[1], elongation, "elongation (major / minor axis)", None)):
        v = np.asarray(values, float)
        if rng is None and v.size:
            rng = (1.0, max(1.5, float(np.percentile(v, 99))))
        if v.size:
            ax.hist(np.clip(v, *rng), bins=25, range=rng, color=BLUE, edgecolor="white")
            ax.axvline(np.median(v), color=RED, lw=1.5, label=f"median {np.median(v):.2f}")
            ax.legend(fontsize=8, frameon=False)
        ax.set_xlabel(label)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("particles")
    for ax in axes:
        ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return _png(fig)


def patches(images: list[np.ndarray], size: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` square uint8 crops showing particles (the fit's choice of real patches:
    Otsu foreground >= 3 %), so the comparison is not of empty ground."""
    from ..fit.real import patches_with_particles

    if not images:
        return []
    s = min(size, *(min(im.shape[:2]) for im in images))
    floats = [np.asarray(im, np.float32) / 255.0 for im in images]
    crops = patches_with_particles(floats, s, count, rng)
    return [cv2.resize(np.clip(c * 255 + 0.5, 0, 255).astype(np.uint8), (size, size), interpolation=cv2.INTER_AREA)
            for c in crops]


def look_comparison(real: list[tuple[np.ndarray, float]], synthetic: list[np.ndarray], synthetic_nm: float,
                    seed: int, size: int = 160, count: int = 5) -> tuple[bytes, bytes]:
    """Rows of real and synthetic crops at one pixel size (the synthetic one), so the
    particles appear at the same scale side by side."""
    rng = np.random.default_rng(seed)
    real_at = [resample(im, px / synthetic_nm) for im, px in real]
    r = patches(real_at, size, count, rng)
    s = patches(synthetic, size, count, rng)
    return (encode_png(contact_sheet(r, columns=count)) if r else b"",
            encode_png(contact_sheet(s, columns=count)) if s else b"")
