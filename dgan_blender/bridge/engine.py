"""A Blender render engine that renders the current scene through the bridge, so a
Blender user gets the fitted look with F12 or ``blender -b -f``.

The detector/noise values written by ``dgan apply`` live on the scene as custom
properties ``dgan_noise_*``; the engine applies them after the render.
"""

from __future__ import annotations

import bpy
import numpy as np

ENGINE_ID = "DGAN_MITSUBA"


def noise_values(scene) -> dict[str, float]:
    return {k[len("dgan_noise_"):]: float(v) for k, v in scene.items() if k.startswith("dgan_noise_")}


def render_scene(scene, spp: int | None = None) -> np.ndarray:
    """The scene as the bridge sees it: (H, W) float, detector model applied."""
    from .export import describe
    from ..appearance.detector import apply_numpy
    from .scene import MitsubaScene

    spp = spp or int(scene.get("dgan_spp", 0)) or int(scene.cycles.samples)
    seed = int(scene.get("dgan_seed", 0))
    ms = MitsubaScene(describe(scene), spp=spp)
    image = np.array(ms.render(seed=seed), dtype=np.float32)
    noise = noise_values(scene)
    return apply_numpy(image, noise, seed) if noise else image


class DganMitsubaEngine(bpy.types.RenderEngine):
    bl_idname = ENGINE_ID
    bl_label = "DGAN Mitsuba"
    bl_use_preview = False

    def render(self, depsgraph):
        scene = depsgraph.scene
        image = render_scene(scene)
        h, w = image.shape
        rgba = np.empty((h, w, 4), np.float32)
        rgba[..., :3] = image[::-1, :, None]  # Blender's rows run bottom-up
        rgba[..., 3] = 1.0
        result = self.begin_result(0, 0, w, h)
        result.layers[0].passes["Combined"].rect.foreach_set(rgba.ravel())
        self.end_result(result)


def register() -> None:
    try:
        bpy.utils.register_class(DganMitsubaEngine)
    except ValueError:
        pass  # already registered


def unregister() -> None:
    try:
        bpy.utils.unregister_class(DganMitsubaEngine)
    except RuntimeError:
        pass
