"""A process spawned by one that has imported bpy (``dgan measure``'s render workers, started
after the fit) gets the parent's ``sys.path``, with Blender's script folders first."""

from __future__ import annotations

import multiprocessing as mp
import sys

import pytest


def _child(queue) -> None:
    try:
        from dgan_blender.blender.door import import_bpy

        queue.put(import_bpy(one_cpu=True).app.version_string)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


def test_a_worker_spawned_after_bpy_imports_the_real_bpy():
    bpy = pytest.importorskip("bpy")
    assert any("scripts" in p for p in sys.path)  # what the child inherits
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    got = queue.get(timeout=120)
    proc.join(timeout=60)
    assert got == bpy.app.version_string
