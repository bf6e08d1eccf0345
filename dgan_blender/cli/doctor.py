"""Check this machine: library versions, working Mitsuba variants, the libLLVM in use."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from .. import llvm


def _version(module: str) -> tuple[str | None, str]:
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure is a finding, not a crash
        return None, f"{type(exc).__name__}: {exc}"
    return getattr(mod, "__version__", None) or getattr(getattr(mod, "app", None), "version_string", "?"), ""


def doctor(
    cuda: Annotated[bool, typer.Option(help="Also require cuda_ad_mono to work (GPU machines).")] = False,
) -> None:
    """Prints versions of bpy, mitsuba, drjit, torch and numpy, which Mitsuba variants
    render here and the libLLVM Dr.Jit uses; exits 1 with a one-line fix per problem."""
    problems: list[str] = []
    lib = llvm.configure()
    typer.echo(f"python       {sys.version.split()[0]} ({sys.executable})")
    fixes = {
        "bpy": "pip install bpy==5.0.1 'numpy<2' (Python 3.11), or run 'make test' to set up .venv",
        "mitsuba": "pip install mitsuba==3.9.1",
        "drjit": "pip install drjit==1.5.0",
        "torch": "pip install torch==2.13.0 (CPU build on this platform)",
        "numpy": "pip install 'numpy<2'",
    }
    for name in ("bpy", "mitsuba", "drjit", "torch", "numpy"):
        version, err = _version(name)
        typer.echo(f"{name:<12} {version or 'MISSING'}")
        if version is None:
            problems.append(f"{name} does not import ({err[:100]}): {fixes[name]}")
    version, _ = _version("numpy")
    if version and int(version.split(".")[0]) >= 2:
        problems.append(f"numpy {version} is too new for bpy 5.0.1: pip install 'numpy<2'")

    source = "set by user" if os.environ.get("DGAN_LLVM_FROM_USER") else "detected"
    typer.echo(f"libLLVM      {lib or 'NOT FOUND'} ({source}; DRJIT_LIBLLVM_PATH)")
    if not lib:
        problems.append(llvm.FIX)

    if _version("mitsuba")[0]:
        from ..mitsuba_env import variant_works

        for variant in ("llvm_ad_mono", "cuda_ad_mono"):
            ok, why = variant_works(variant)
            typer.echo(f"{variant:<12} {'works' if ok else 'unavailable: ' + why}")
            if not ok and (variant == "llvm_ad_mono" or cuda):
                if variant.startswith("cuda"):
                    fix = "needs an NVIDIA GPU and driver"
                elif os.environ.get("DGAN_LLVM_FROM_USER"):
                    fix = (f"DRJIT_LIBLLVM_PATH={lib} does not work (libLLVM >= 16 is needed): "
                           "unset it to use the detected library, or run 'apt-get install -y libllvm19'")
                else:
                    fix = llvm.FIX
                problems.append(f"Mitsuba variant {variant} fails ({why}): {fix}")

    if problems:
        for p in problems:
            typer.echo(f"problem: {p}", err=True)
        raise typer.Exit(1)
    typer.echo("all good")
