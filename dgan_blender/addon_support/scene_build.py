"""Generate a scene inside a running Blender (the add-on's operator and the batch entry).

:func:`dgan_blender.blender.builder.build_scene` starts from factory settings, which in an
interactive Blender would also reset the preferences and unload the add-on calling it.
Here the same builder runs into the open file instead: the previous DGAN scene is emptied
(or a new scene is made, so a user's own scene is never touched). The layout is computed
in-process where the geometry's dependencies import, else by the project's environment.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import time
from pathlib import Path

from ..config import SceneConfig, to_dict
from ..errors import DganError
from .env import clean_env, resolve_python


def _geometry_here():
    try:
        from ..scenes import make_layout
    except ImportError:
        return None
    try:
        import dgan_blender.geometry  # noqa: F401  (scipy, matplotlib)
    except ImportError:
        return None
    return make_layout


def run_module(python: str, module: str, *args: str, timeout: float = 600) -> str:
    """Run a project module in the project's environment; its one-line error is raised."""
    proc = subprocess.run([str(python), "-m", module, *map(str, args)], capture_output=True,
                          text=True, env=clean_env(), timeout=timeout)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()] or ["no output"]
        msg = lines[-1].removeprefix("dgan: error: ")
        raise DganError(msg)
    return proc.stdout


def compute_layout(cfg: SceneConfig, seed: int, python: str | None = None, keep: Path | None = None):
    """The layout for (cfg, seed); ``keep`` also saves it there as ``.npz``."""
    from ..layout import Layout

    make_layout = _geometry_here()
    if make_layout is not None:
        layout = make_layout(cfg, seed)
        if keep is not None:
            layout.save(keep)
        return layout
    py = resolve_python(python)
    with tempfile.TemporaryDirectory(prefix="dgan_layout_") as tmp:
        cfg_path = Path(tmp) / "config.json"
        cfg_path.write_text(json.dumps(to_dict(cfg)))
        out = Path(keep) if keep is not None else Path(tmp) / "layout.npz"
        run_module(str(py), "dgan_blender.addon_support.layout_job", str(cfg_path), str(seed), str(out))
        return Layout.load(out)


def _is_dgan(scene) -> bool:
    return "dgan_config" in scene.keys()


def _empty_scene():
    """The scene to build into: the current one if DGAN made it (emptied), else a new one."""
    import bpy

    ctx = bpy.context
    scene = ctx.scene
    if scene is None or not _is_dgan(scene):
        scene = bpy.data.scenes.new("dgan")
        if ctx.window is not None:
            ctx.window.scene = scene
        else:
            for win in ctx.window_manager.windows:
                win.scene = scene
    for obj in list(scene.objects):
        bpy.data.objects.remove(obj, do_unlink=True)
    for coll in list(scene.collection.children):
        if coll.name.startswith("dgan_particles"):
            bpy.data.collections.remove(coll)
    with contextlib.suppress(Exception):
        bpy.data.orphans_purge(do_local_ids=True, do_linked_ids=False, do_recursive=True)
    return scene


@contextlib.contextmanager
def _into_open_file():
    from ..blender import builder

    original = builder.reset_scene
    builder.reset_scene = _empty_scene
    try:
        yield builder
    finally:
        builder.reset_scene = original


def build_in_open_file(layout):
    """:func:`build_scene` without the factory reset; returns the built scene."""
    with _into_open_file() as builder:
        return builder.build_scene(layout)


def generate(cfg: SceneConfig, seed: int, python: str | None = None) -> dict:
    """The Generate operator: layout -> Blender scene in the open file."""
    t0 = time.perf_counter()
    layout = compute_layout(cfg, seed, python)
    t1 = time.perf_counter()
    scene = build_in_open_file(layout)
    return {"scene": scene.name, "particles": len(layout.particles),
            "layout_s": round(t1 - t0, 3), "build_s": round(time.perf_counter() - t1, 3)}


def batch_scene(cfg: SceneConfig, seed: int, out: Path, python: str | None = None) -> dict:
    """``dgan scene`` inside a Blender whose Python lacks opencv: Blender builds and renders,
    the project's environment writes the annotation files from the rendered arrays."""
    from ..blender.render import build_save_render
    import numpy as np

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = {}
    with tempfile.TemporaryDirectory(prefix="dgan_scene_") as tmp:
        t0 = time.perf_counter()
        layout_path = Path(tmp) / "layout.npz"
        layout = compute_layout(cfg, seed, python, keep=layout_path)
        t["layout_s"] = time.perf_counter() - t0
        image, instances, seconds = build_save_render(layout, out / "scene.blend", build_in_open_file)
        t.update(seconds)
        arrays = Path(tmp) / "arrays.npz"
        np.savez(arrays, image=image, instances=instances)
        run_module(str(resolve_python(python)), "dgan_blender.addon_support.finish_scene",
                   str(layout_path), str(arrays), str(out))
    return {"out": str(out), "preset": cfg.name, "seed": seed, "particles": len(layout.particles),
            **{k: round(v, 3) for k, v in t.items()}}
