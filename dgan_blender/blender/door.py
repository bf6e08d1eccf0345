"""The one door through which the project imports bpy first.

Importing bpy has a side effect that cannot be undone: Blender's task scheduler (TBB)
sizes itself from the CPUs the process may use at that moment, and Cycles runs parts of
every render on it whatever ``render.threads`` says (a "single-threaded" Cycles worker
measured 1.8 cores). So a render worker that should use one core imports bpy here with
``one_cpu=True``: while the process may use one CPU, after which the full set is given
back (the OS still places the worker on any core). Linux only; elsewhere Blender's
default applies. Later ``import bpy`` statements get the same module.
"""

from __future__ import annotations

import os
import sys


def import_bpy(one_cpu: bool = False):
    """bpy, imported now if it was not yet (on one CPU where asked and possible)."""
    if "bpy" in sys.modules:
        return sys.modules["bpy"]
    _drop_blender_script_paths()
    if not one_cpu or not hasattr(os, "sched_setaffinity"):
        import bpy

        return bpy
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        import bpy
    finally:
        os.sched_setaffinity(0, cpus)
    return bpy


def _drop_blender_script_paths() -> None:
    """A process started by one that had imported bpy (a render worker of ``dgan measure``,
    spawned after the fit) inherits its ``sys.path``, where bpy put its own script folders
    first; one of them holds Blender's Python-side ``bpy`` package, which would then be
    imported in place of the module ("No module named '_bpy'"). bpy adds them back."""
    def inside_bpy(path: str) -> bool:
        parts = os.path.normpath(path).split(os.sep)
        return "bpy" in parts and "scripts" in parts[parts.index("bpy"):]

    sys.path[:] = [p for p in sys.path if not inside_bpy(p)]
