"""Find a libLLVM that Dr.Jit's LLVM back end can use, before Mitsuba is imported.

Mitsuba 3.9 / Dr.Jit 1.5 emit intrinsics (``fminimum``) that libLLVM 15 cannot select,
so a newer library must be chosen explicitly through ``DRJIT_LIBLLVM_PATH``. A value
the user set is always respected.
"""

from __future__ import annotations

import glob
import os
import re

MIN_VERSION = 16
_PATTERNS = (
    "/usr/lib/x86_64-linux-gnu/libLLVM.so.*",
    "/usr/lib/x86_64-linux-gnu/libLLVM-*.so*",
    "/usr/lib/aarch64-linux-gnu/libLLVM.so.*",
    "/usr/lib/aarch64-linux-gnu/libLLVM-*.so*",
    "/usr/lib/llvm-*/lib/libLLVM*.so*",
    "/usr/lib64/libLLVM*.so*",
    "/usr/local/lib/libLLVM*.so*",
    "/opt/homebrew/opt/llvm/lib/libLLVM.dylib",
)


def _version(path: str) -> int:
    m = re.search(r"libLLVM[.-](?:so\.)?(\d+)", os.path.basename(path)) or re.search(r"llvm-(\d+)", path)
    return int(m.group(1)) if m else 0


def candidates() -> list[tuple[int, str]]:
    """Usable libraries, newest first, as (major version, path)."""
    found = {}
    for pattern in _PATTERNS:
        for path in glob.glob(pattern):
            v = _version(path)
            if v >= MIN_VERSION and os.path.isfile(path):
                found.setdefault(os.path.realpath(path), (v, path))
    return sorted(found.values(), reverse=True)


def find_libllvm() -> str | None:
    found = candidates()
    return found[0][1] if found else None


def configure() -> str | None:
    """Set ``DRJIT_LIBLLVM_PATH`` unless the user did; returns the path in effect."""
    current = os.environ.get("DRJIT_LIBLLVM_PATH")
    if current:
        if not os.environ.get("DGAN_LLVM_DETECTED"):
            os.environ["DGAN_LLVM_FROM_USER"] = "1"
        return current
    path = find_libllvm()
    if path:
        os.environ["DRJIT_LIBLLVM_PATH"] = path
        os.environ["DGAN_LLVM_DETECTED"] = "1"
    return path


FIX = ("no libLLVM >= 16 found: run 'apt-get install -y libllvm19' (or set "
       "DRJIT_LIBLLVM_PATH to a libLLVM >= 16)")
