"""What a fit leaves for people: params.toml, progress.png and samples.png."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..io import write_bytes, to_uint8, write_png


def _toml_value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(round(v, 6))
    return str(v)


def params_toml(summary: dict, meta: dict) -> str:
    """The learned parameters: value (mean over layouts) and spread (their standard
    deviation over layouts), with the bounds they were fitted in."""
    lines = ["# Written by dgan fit: learned rendering and detector parameters.", "[meta]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in meta.items()]
    for name in sorted(summary):
        e = summary[name]
        lines += ["", f'[parameters."{name}"]'] + [f"{k} = {_toml_value(float(e[k]))}"
                                                   for k in ("value", "spread", "low", "high")]
    return "\n".join(lines) + "\n"


def write_params(path: Path, summary: dict, meta: dict) -> None:
    write_bytes(Path(path), params_toml(summary, meta).encode())


def write_progress(path: Path, history: list[dict], trajectories: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    steps = [h for h in history if "loss_d" in h and "realism" not in h]
    it = [h["iteration"] for h in steps]
    axes[0].plot(it, [h["loss_d"] for h in steps], label="D")
    axes[0].plot(it, [h["loss_g"] for h in steps], label="G")
    axes[0].set_title("losses")
    axes[0].set_xlabel("iteration")
    axes[0].legend()
    ev = [h for h in history if "realism" in h]
    axes[1].plot([h["iteration"] for h in ev], [h["realism"] for h in ev], "o-", label="held-out real")
    if any("realism_train" in h for h in ev):
        tr = [h for h in ev if "realism_train" in h]
        axes[1].plot([h["iteration"] for h in tr], [h["realism_train"] for h in tr], ".--", label="training real (selects)")
    axes[1].legend()
    axes[1].set_title("realism (SWD x1e3; lower is better)")
    axes[1].set_xlabel("iteration")
    if trajectories:
        names = sorted(trajectories[-1]["values"])
        for n in names:
            lo, hi = trajectories[-1]["bounds"][n]
            axes[2].plot([t["iteration"] for t in trajectories],
                         [(t["values"][n] - lo) / (hi - lo) for t in trajectories], label=n)
        axes[2].set_title("parameters (fraction of their range)")
        axes[2].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    tmp = Path(path).with_name(".progress.png.tmp.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    os.replace(tmp, path)


def write_samples(path: Path, real: np.ndarray, fake: np.ndarray, n: int = 4) -> None:
    """Top row real patches, bottom row synthetic ones."""
    n = min(n, len(real), len(fake))
    pad = np.ones((real.shape[1], 4), np.float32)
    row = lambda xs: np.hstack([np.hstack([x, pad]) for x in xs[:n]])  # noqa: E731
    sheet = np.vstack([row(real), np.ones((4, row(real).shape[1]), np.float32), row(fake)])
    write_png(path, to_uint8(sheet))
