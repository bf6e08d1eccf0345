"""bpy.ops.dgan.*: the in-Blender operators (the job operators are in job_ops.py).

All are thin shells over dgan_blender.addon_support; Generate runs in this Blender.
"""

from __future__ import annotations

import os
from pathlib import Path

import bpy

from . import prefs, props

ACTIVE: dict = {"job": None}  # the one running job; the panel and status bar read it


def _lib():
    from dgan_blender.addon_support import env, jobs

    return env, jobs


def _abs(path: str) -> Path:
    return Path(bpy.path.abspath(path)).absolute() if path else Path()


def redraw_all() -> None:
    wm = bpy.context.window_manager
    for win in wm.windows if wm else ():
        for area in win.screen.areas:
            area.tag_redraw()


class DGAN_OT_check_env(bpy.types.Operator):
    """Check that the project's Python environment runs and can import dgan_blender"""

    bl_idname = "dgan.check_env"
    bl_label = "Check environment"

    def execute(self, context):
        p = prefs.get(context)
        python = p.python_env if p else os.environ.get("DGAN_PYTHON", "")
        from . import project

        try:
            root = project.root_from_python(python) if python else ""
            if not prefs.connect(context) and not project.connect(python, root):
                raise RuntimeError("dgan_blender not found; set the project's .venv")
            env, _ = _lib()
            found = env.probe(python) if python else None
        except Exception as exc:  # shown to the user, never a traceback
            if p:
                p.check_result = f"Failed: {exc}"
            self.report({"ERROR"}, f"DGAN environment: {exc}")
            return {"CANCELLED"}
        if p and found:
            p.project_root = found.root
            p.check_result = f"OK: Python {found.version}, commands: {', '.join(found.commands)}"
        if not props.registered():
            props.register()
        self.report({"INFO"}, p.check_result if p else "DGAN library found")
        return {"FINISHED"}


class DGAN_OT_load_preset(bpy.types.Operator):
    """Reset the fields below to the chosen preset's values"""

    bl_idname = "dgan.load_preset"
    bl_label = "Reset to preset"

    def execute(self, context):
        props.load_preset(context.scene.dgan)
        return {"FINISHED"}


class DGAN_OT_generate_scene(bpy.types.Operator):
    """Build the layout described by the panel as a Blender scene (in this Blender)"""

    bl_idname = "dgan.generate_scene"
    bl_label = "Generate scene"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from dgan_blender.addon_support.scene_build import generate
        from dgan_blender.errors import DganError

        old = context.scene
        s = old.dgan
        try:
            cfg = props.config(s)
            info = generate(cfg, s.seed, prefs.python_env(context) or None)
        except DganError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        new = bpy.data.scenes[info["scene"]]
        if new != old:  # a new scene keeps the panel's settings, so Fit/Render use them
            keys = [k for k in s.bl_rna.properties.keys() if k not in ("rna_type", "name")]
            for key in sorted(keys, key=lambda k: k != "preset"):  # preset first: it resets the rest
                setattr(new.dgan, key, getattr(s, key))
        self.report({"INFO"}, f"DGAN: {info['particles']} particles in scene '{info['scene']}'")
        return {"FINISHED"}


class DGAN_OT_cancel_job(bpy.types.Operator):
    """Stop the running DGAN job (its whole process group)"""

    bl_idname = "dgan.cancel_job"
    bl_label = "Cancel"

    def execute(self, context):
        job = ACTIVE["job"]
        if job is None or not job.running:
            self.report({"INFO"}, "DGAN: nothing is running")
            return {"CANCELLED"}
        job.cancel()
        redraw_all()
        return {"FINISHED"}


classes = (DGAN_OT_check_env, DGAN_OT_load_preset, DGAN_OT_generate_scene, DGAN_OT_cancel_job)
