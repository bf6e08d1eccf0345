"""The "DGAN" tab in the 3-D viewport's sidebar, and job progress in the status bar."""

from __future__ import annotations

import bpy

from . import props
from .operators import ACTIVE


def _job():
    job = ACTIVE["job"]
    return job if job is not None and job.running else None


def draw_job(layout, job, log_lines: int = 0, width_units: float = 0) -> None:
    frac = job.fraction()
    row = layout.row(align=True)
    bar = row.row(align=True)
    if width_units:
        bar.ui_units_x = width_units
    if frac is None:
        bar.label(text=job.status(), icon="SORTTIME")
    else:
        bar.progress(factor=frac, type="BAR", text=job.status())
    if not width_units:  # the panel: Cancel on its own row, the bar gets the full width
        row = layout.row()
    row.operator("dgan.cancel_job", text="Cancel", icon="CANCEL")
    for line in job.log_tail(log_lines) if log_lines else ():
        layout.label(text=line[:90])


class _Base:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "DGAN"

    @classmethod
    def poll(cls, context):
        return props.registered() and hasattr(context.scene, "dgan")


class DGAN_PT_main(bpy.types.Panel):
    bl_idname = "DGAN_PT_main"
    bl_label = "DGAN"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "DGAN"

    def draw(self, context):
        layout = self.layout
        if not props.registered():
            layout.label(text="Set the project's Python environment", icon="ERROR")
            layout.label(text="in the add-on preferences, then:")
            layout.operator("dgan.check_env", icon="CHECKMARK")
            return
        job = _job()
        if job is not None:
            draw_job(layout.box(), job, log_lines=2)
        else:
            layout.label(text="No job running", icon="CHECKMARK")


class DGAN_PT_scene(_Base, bpy.types.Panel):
    bl_idname = "DGAN_PT_scene"
    bl_parent_id = "DGAN_PT_main"
    bl_label = "Scene"

    def draw(self, context):
        from dgan_blender.addon_support import fields

        s = context.scene.dgan
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        row = layout.row(align=True)
        row.prop(s, "preset")
        row.operator("dgan.load_preset", text="", icon="FILE_REFRESH")
        layout.prop(s, "seed")
        group = None
        for spec in fields.main_specs():
            top = spec.path.split(".")[0]
            if top != group:
                group = top
                layout.label(text=top.replace("_", " ").capitalize())
            layout.prop(s, spec.prop_name)
        col = layout.column(align=True)
        col.operator("dgan.generate_scene", icon="SCENE_DATA")
        col.operator("dgan.scene_job", icon="RENDER_STILL")


class DGAN_PT_fit(_Base, bpy.types.Panel):
    bl_idname = "DGAN_PT_fit"
    bl_parent_id = "DGAN_PT_main"
    bl_label = "Fit to real images"

    def draw(self, context):
        s = context.scene.dgan
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(s, "fit_real")
        layout.prop(s, "fit_out")
        layout.prop(s, "fit_iters")
        layout.prop(s, "fit_apply")
        layout.operator("dgan.fit", icon="GRAPH")


class DGAN_PT_apply(_Base, bpy.types.Panel):
    bl_idname = "DGAN_PT_apply"
    bl_parent_id = "DGAN_PT_main"
    bl_label = "Apply learned parameters"

    def draw(self, context):
        s = context.scene.dgan
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(s, "apply_params")
        layout.operator("dgan.apply_params", icon="IMPORT")


class DGAN_PT_render(_Base, bpy.types.Panel):
    bl_idname = "DGAN_PT_render"
    bl_parent_id = "DGAN_PT_main"
    bl_label = "Render dataset"

    def draw(self, context):
        s = context.scene.dgan
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        for name in ("render_count", "render_out", "render_engine", "render_workers", "render_params"):
            layout.prop(s, name)
        layout.operator("dgan.render_dataset", icon="RENDER_ANIMATION")


class DGAN_PT_measure(_Base, bpy.types.Panel):
    bl_idname = "DGAN_PT_measure"
    bl_parent_id = "DGAN_PT_main"
    bl_label = "Measure"

    def draw(self, context):
        s = context.scene.dgan
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        for name in ("measure_real", "measure_out", "measure_preset", "measure_budget", "measure_masks",
                     "measure_resume"):
            layout.prop(s, name)
        layout.operator("dgan.measure", icon="SEQ_HISTOGRAM")


def draw_status(self, context):
    """Appended to the status bar: the running job's progress and a Cancel button."""
    job = _job()
    if job is not None:
        draw_job(self.layout, job, width_units=14)


classes = (DGAN_PT_main, DGAN_PT_scene, DGAN_PT_fit, DGAN_PT_apply, DGAN_PT_render, DGAN_PT_measure)


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.STATUSBAR_HT_header.append(draw_status)


def unregister() -> None:
    bpy.types.STATUSBAR_HT_header.remove(draw_status)
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
