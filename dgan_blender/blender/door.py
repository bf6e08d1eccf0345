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
