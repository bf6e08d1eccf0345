"""Renders with Cycles: the plain image and the exact instance mask.

The mask is rendered, not redrawn: all materials are overridden by an emission whose
strength is the object's ``pass_index``, with one sample per pixel and a tiny pixel
filter so the sample sits at the pixel centre; float EXR output keeps ids exact.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import bpy
import numpy as np

from ..quiet import silence_stdout
from .builder import index_material


def _render_exr(scene: bpy.types.Scene) -> np.ndarray:
    """Render to a float EXR and read it back: (H, W, C) float32, row 0 at the top."""
    with tempfile.TemporaryDirectory(prefix="dgan_render_") as tmp:
        path = os.path.join(tmp, "render.exr")
        scene.render.filepath = path
        with silence_stdout():
            bpy.ops.render.render(write_still=True, scene=scene.name)
        img = bpy.data.images.load(path, check_existing=False)
        try:
            w, h = img.size
            buf = np.empty(w * h * img.channels, dtype=np.float32)
            img.pixels.foreach_get(buf)
            arr = buf.reshape(h, w, img.channels)[::-1].copy()
        finally:
            bpy.data.images.remove(img)
    return arr


def render_image(scene: bpy.types.Scene) -> np.ndarray:
    """The plain render as linear intensity (H, W) float32."""
    return _render_exr(scene)[..., 0]


def render_instances(scene: bpy.types.Scene) -> np.ndarray:
    """Instance ids (H, W) uint16 from one centred sample per pixel."""
    saved = {
        "samples": scene.cycles.samples, "filter": scene.cycles.pixel_filter_type,
        "width": scene.cycles.filter_width, "bounces": scene.cycles.max_bounces,
        "override": scene.view_layers[0].material_override,
    }
    try:
        scene.cycles.samples = 1
        scene.cycles.pixel_filter_type = "BOX"
        scene.cycles.filter_width = 0.01
        scene.cycles.max_bounces = 0
        scene.view_layers[0].material_override = index_material()
        ids = _render_exr(scene)[..., 0]
    finally:
        scene.cycles.samples = saved["samples"]
        scene.cycles.pixel_filter_type = saved["filter"]
        scene.cycles.filter_width = saved["width"]
        scene.cycles.max_bounces = saved["bounces"]
        scene.view_layers[0].material_override = saved["override"]
    return np.clip(np.rint(ids), 0, 65535).astype(np.uint16)


def save_blend(path: Path) -> None:
    """Save a copy (the session keeps its own file name), then rename into place."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.blend")
    with silence_stdout():
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, compress=True)
    os.replace(tmp, path)


def build_save_render(layout, blend_path: Path, build) -> tuple[np.ndarray, np.ndarray, dict]:
    """What every ``dgan scene`` does in Blender: ``build(layout)`` -> save the .blend ->
    rendered instance mask -> plain render; returns (image, instances, seconds). Shared by
    bpy-as-a-module and a real Blender (whose Python has numpy but no opencv)."""
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    scene = build(layout)
    save_blend(blend_path)
    t["blender_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    instances = render_instances(scene)
    t["mask_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    image = render_image(scene)
    t["render_s"] = time.perf_counter() - t0
    return image, instances, t
