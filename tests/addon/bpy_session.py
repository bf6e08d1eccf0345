"""Run by tests/addon/test_addon_bpy.py in a fresh process with the bpy wheel:
``python bpy_session.py ZIP CASE WORKDIR``. Installs and enables the built extension the
way Blender does (into the user repository under $HOME, which the test isolates), runs
one case, and prints ``RESULT {json}``."""

import json
import sys
from pathlib import Path

import bpy

MODULE = "bl_ext.user_default.dgan"


def install(zip_path: str) -> None:
    bpy.ops.extensions.package_install_files(repo="user_default", filepath=zip_path,
                                             enable_on_install=True)
    assert MODULE in bpy.context.preferences.addons, "extension not enabled"


def tiny(s) -> None:
    s.preset = "sio2-him"
    s.image__width_px = s.image__height_px = 64
    s.particles__count = 2
    s.render__spp = 1
    s.seed = 3


def case_register(work: Path) -> dict:
    out = {"ops": sorted(dir(bpy.ops.dgan)), "panel": hasattr(bpy.types, "DGAN_PT_main"),
           "settings": hasattr(bpy.types.Scene, "dgan"),
           "prefs": hasattr(bpy.context.preferences.addons[MODULE].preferences, "python_env")}
    bpy.ops.preferences.addon_disable(module=MODULE)
    out["after_ops"] = sorted(dir(bpy.ops.dgan))
    out["after_panel"] = hasattr(bpy.types, "DGAN_PT_main")
    out["after_settings"] = hasattr(bpy.types.Scene, "dgan")
    return out


def case_generate(work: Path) -> dict:
    s = bpy.context.scene.dgan
    tiny(s)
    result = bpy.ops.dgan.generate_scene()
    scene = bpy.context.scene
    parts = bpy.data.collections["dgan_particles"].objects
    return {"result": sorted(result), "scene": scene.name, "particles": len(parts),
            "config": json.loads(scene["dgan_config"]), "seed": scene["dgan_seed"],
            "settings_follow": scene.dgan.image__width_px}


def case_generate_bad(work: Path) -> dict:
    s = bpy.context.scene.dgan
    tiny(s)
    s.particles__count = 5000
    try:
        bpy.ops.dgan.generate_scene()
    except RuntimeError as exc:  # in background mode an ERROR report raises
        return {"error": str(exc)}
    return {"error": None}


def case_scene_job(work: Path) -> dict:
    tiny(bpy.context.scene.dgan)
    result = bpy.ops.dgan.scene_job()
    img = next(i for i in bpy.data.images if i.filepath.endswith("preview.png"))
    return {"result": sorted(result), "image": img.filepath, "size": list(img.size)}


def case_render(work: Path) -> dict:
    s = bpy.context.scene.dgan
    tiny(s)
    s.render_count, s.render_engine, s.render_workers = 2, "cycles", 0
    s.render_out = str(work / "data")
    result = bpy.ops.dgan.render_dataset()
    return {"result": sorted(result), "images": sorted(i.name for i in bpy.data.images)}


def case_fit(work: Path) -> dict:
    s = bpy.context.scene.dgan
    tiny(s)
    s.fit_real, s.fit_out, s.fit_iters, s.fit_apply = sys.argv[4], str(work / "run"), 2, False
    return {"result": sorted(bpy.ops.dgan.fit()), "params": s.apply_params}


def case_apply(work: Path) -> dict:
    s = bpy.context.scene.dgan
    tiny(s)
    bpy.ops.dgan.generate_scene()
    bpy.context.scene.dgan.apply_params = sys.argv[4]
    result = bpy.ops.dgan.apply_params()
    return {"result": sorted(result), "file": bpy.data.filepath,
            "props": {k: str(v) for k, v in bpy.context.scene.items()}}


if __name__ == "__main__":
    zip_path, case, work = sys.argv[1:4]
    install(zip_path)
    res = globals()[f"case_{case}"](Path(work))
    print("RESULT " + json.dumps(res))
