"""Runs inside the interactive Blender that scripts/screenshot_panel.py starts under Xvfb.

Makes the 3-D viewport fill the window with its sidebar open, generates a tiny scene,
starts a small dataset render so the job's progress shows, and reports (through a JSON
status file) which sidebar tab is active and where the tab strip is, so the driver can
click the DGAN tab (the active tab cannot be set from Python) and grab the screen.
"""

import json
import os
import sys
import tempfile

import bpy

STATUS = os.environ["DGAN_SHOT_STATUS"]
state = {"phase": "start", "ticks": 0}


def _write(**data):
    tmp = STATUS + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, STATUS)


def _view3d(screen):
    return next(a for a in screen.areas if a.type == "VIEW_3D")


def setup():
    win = bpy.context.window_manager.windows[0]
    area = _view3d(win.screen)
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.screen.screen_full_area()
    win = bpy.context.window_manager.windows[0]
    area = _view3d(win.screen)
    space = area.spaces.active
    space.show_region_ui = True
    s = bpy.context.scene.dgan
    s.preset = "tio2-sem"
    s.image__width_px = s.image__height_px = 128
    s.seed = 4
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.dgan.generate_scene()
    s = bpy.context.scene.dgan
    space.clip_start, space.clip_end = 1.0, 1e6
    space.region_3d.view_perspective = "CAMERA"
    space.shading.type = "SOLID"
    with bpy.context.temp_override(window=win, area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
        bpy.ops.view3d.view_center_camera()
    out = tempfile.mkdtemp(prefix="dgan_shot_data_")
    s.render_out, s.render_count, s.render_engine, s.render_workers = out, 200, "cycles", 0
    s.fit_real = os.environ.get("DGAN_SHOT_REAL", "")
    s.fit_iters = 200
    s.image__width_px = s.image__height_px = 64
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.dgan.render_dataset("INVOKE_DEFAULT")
    s.image__width_px = s.image__height_px = 128


def tick():
    state["ticks"] += 1
    try:
        if state["phase"] == "start":
            setup()
            state["phase"] = "tabs"
            return 0.5
        win = bpy.context.window_manager.windows[0]
        area = _view3d(win.screen)
        ui = next(r for r in area.regions if r.type == "UI")
        from importlib import import_module

        job = import_module("bl_ext.user_default.dgan.operators").ACTIVE["job"]
        frac = job.fraction() if job is not None and job.running else None
        _write(category=ui.active_panel_category, tabs_x=ui.x + ui.width - 8,
               tabs_top=win.height - (ui.y + ui.height), job=frac, ticks=state["ticks"],
               job_pid=job.proc.pid if job is not None and job.proc is not None else None)
        for a in win.screen.areas:
            a.tag_redraw()
    except Exception as exc:  # the driver prints it and gives up
        _write(error=f"{type(exc).__name__}: {exc}")
        return None
    return 0.5


bpy.app.timers.register(tick, first_interval=2.0)
