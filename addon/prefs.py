"""Add-on preferences: where the project's Python environment is, and whether it works."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from . import project


def get(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


def python_env(context=None) -> str:
    prefs = get(context)
    return prefs.python_env if prefs else ""


class DGAN_AddonPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    python_env: StringProperty(
        name="Project Python environment",
        description="The dgan-blender project's virtual environment (its .venv folder or its "
        "python executable); fitting and dataset rendering run there",
        subtype="FILE_PATH",
    )
    project_root: StringProperty(name="Project folder", description="Found by the check")
    check_result: StringProperty(name="Check", default="not checked")

    def draw(self, context):
        col = self.layout.column()
        col.prop(self, "python_env")
        row = col.row()
        row.operator("dgan.check_env", icon="CHECKMARK")
        ok = self.check_result.startswith("OK")
        row.label(text=self.check_result, icon="CHECKMARK" if ok else "INFO")
        if self.project_root:
            col.label(text=f"Project: {self.project_root}")


def connect(context=None) -> bool:
    prefs = get(context)
    if prefs is None:
        return project.connect()
    return project.connect(prefs.python_env, prefs.project_root)
