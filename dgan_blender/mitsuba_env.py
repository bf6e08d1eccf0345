"""The one place that imports Mitsuba: libLLVM is configured first, variants chosen safely."""

from __future__ import annotations

import functools

from . import llvm
from .errors import DganError

_PREFERRED = ("cuda_ad_mono", "llvm_ad_mono")


@functools.cache
def default_variant(mi) -> str:
    """CUDA where a GPU driver is present, else LLVM (CPU). Decided once per process:
    ``find_library`` runs compilers/ldconfig, which cost more than loading a scene."""
    import ctypes.util

    if "cuda_ad_mono" in mi.variants() and ctypes.util.find_library("cuda"):
        return "cuda_ad_mono"
    return "llvm_ad_mono"


def import_mitsuba(variant: str | None = None):
    """Import mitsuba with ``variant`` set (default: CUDA where it works, else LLVM)."""
    llvm.configure()
    import mitsuba as mi

    if variant is None:
        variant = default_variant(mi)
    try:
        mi.set_variant(variant)
    except Exception as exc:  # mitsuba raises ImportError/AttributeError by variant
        raise DganError(f"Mitsuba variant '{variant}' is unavailable ({exc}); run 'dgan doctor'") from None
    return mi


_PROBE = """
import sys, mitsuba as mi
mi.set_variant(sys.argv[1])
scene = mi.load_dict({"type": "scene", "integrator": {"type": "path", "max_depth": 2},
    "sensor": {"type": "orthographic", "film": {"type": "hdrfilm", "width": 8, "height": 8}},
    "shape": {"type": "sphere", "center": [0, 0, 3], "radius": 0.5},
    "light": {"type": "constant"}})
img = mi.render(scene, spp=2)
print(float(mi.TensorXf(img).numpy().mean()))
"""


def variant_works(name: str, timeout_s: float = 120.0) -> tuple[bool, str]:
    """Render a tiny scene with ``name`` in a child process: a bad libLLVM aborts the
    whole process (an LLVM fatal error), which must not take the caller with it."""
    import os
    import subprocess
    import sys

    llvm.configure()
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, text=True,
                              timeout=timeout_s, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return False, "timed out"
    if proc.returncode == 0:
        return True, "ok"
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
    telling = [ln for ln in lines if "Cannot select" in ln or "Error" in ln] or lines
    return False, (telling[-1][:160] if telling else f"exit code {proc.returncode}")
