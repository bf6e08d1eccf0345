"""The add-on's background-job operators: fit, apply, render, annotated scene, measure.

Each runs the project's ``dgan`` command as a child process of the project's Python
(:mod:`dgan_blender.addon_support.jobs`). A modal timer watches it, so Blender stays
responsive, progress shows in the panel and status bar and Cancel can stop it; in
background mode, where nothing needs to stay responsive, the operator waits instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bpy
from bpy.props import BoolProperty

from . import prefs, props
from .operators import ACTIVE, _abs, _lib, redraw_all


class JobOperator:
    """Start a Job, then watch it from a timer; subclasses say what to run and load."""

    wait: BoolProperty(name="Wait", default=False, options={"SKIP_SAVE", "HIDDEN"},
                       description="Block until the job ends (always so in background mode)")
    _timer = None
    job = None

    def make_job(self, context):  # -> jobs.Job
        raise NotImplementedError

    def load_result(self, context, job) -> str:
        return f"{job.title} finished"

    def require(self, command: str) -> str:
        """The project's interpreter, after checking it has the ``dgan`` command."""
        env, _ = _lib()
        from dgan_blender.errors import DganError

        python = str(env.resolve_python(prefs.python_env() or None))
        key = ("commands", python)
        if key not in ACTIVE:
            ACTIVE[key] = env.probe(python).commands
        if command not in ACTIVE[key]:
            raise DganError(f"this project's dgan has no '{command}' command yet "
                            f"(found: {', '.join(ACTIVE[key])})")
        return python

    def execute(self, context):
        from dgan_blender.errors import DganError

        current = ACTIVE["job"]
        if current is not None and current.running:
            self.report({"ERROR"}, f"DGAN: '{current.title}' is still running; cancel it first")
            return {"CANCELLED"}
        try:
            self.job = self.make_job(context).start()
        except (DganError, OSError) as exc:
            self.report({"ERROR"}, f"DGAN: {exc}")
            return {"CANCELLED"}
        ACTIVE["job"] = self.job
        if bpy.app.background or self.wait or context.window is None:
            self.job.wait()
            return self.finish(context)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.5, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        redraw_all()
        if self.job.poll() == "running":
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        return self.finish(context)

    def finish(self, context):
        job = self.job
        state = job.poll()
        if ACTIVE["job"] is job:
            ACTIVE["job"] = None
        redraw_all()
        if state == "cancelled":
            self.report({"WARNING"}, f"DGAN: {job.title} cancelled")
            return {"CANCELLED"}
        if state != "done":
            self.report({"ERROR"}, f"DGAN: {job.title} failed: {job.error()}")
            return {"CANCELLED"}
        try:
            self.report({"INFO"}, f"DGAN: {self.load_result(context, job)}")
        except Exception as exc:  # a result that cannot be loaded is the user's to know
            self.report({"ERROR"}, f"DGAN: {job.title} finished, loading failed: {exc}")
            return {"CANCELLED"}
        return {"FINISHED"}


def _run_in(window, op) -> None:
    with bpy.context.temp_override(window=window):
        op()


def _show_image(path: Path):
    img = bpy.data.images.load(str(path), check_existing=True)
    img.reload()
    wm = bpy.context.window_manager
    for win in wm.windows if wm else ():
        for area in win.screen.areas:
            if area.type == "IMAGE_EDITOR":
                area.spaces.active.image = img
    return img


class DGAN_OT_scene_job(JobOperator, bpy.types.Operator):
    """Render and annotate the panel's scene with 'dgan scene' in the background"""

    bl_idname = "dgan.scene_job"
    bl_label = "Render annotated scene"

    def make_job(self, context):
        env, jobs = _lib()
        s = context.scene.dgan
        python = self.require("scene")
        from dgan_blender.addon_support import fields

        out = Path(tempfile.mkdtemp(prefix="dgan_scene_"))
        args = jobs.scene_args(s.preset, s.seed, out, fields.overrides(s.preset, props.values(s)))
        return jobs.Job("Annotated scene", jobs.dgan_argv(python, "scene", *args), result=out)

    def load_result(self, context, job):
        img = _show_image(job.result / "preview.png")
        return f"annotated scene in {job.result} (image '{img.name}')"


class DGAN_OT_fit(JobOperator, bpy.types.Operator):
    """Fit rendering and noise parameters to real micrographs ('dgan fit') in the background"""

    bl_idname = "dgan.fit"
    bl_label = "Fit to real images"

    def make_job(self, context):
        env, jobs = _lib()
        s = context.scene.dgan
        python = self.require("fit")
        real, out = _abs(s.fit_real), _abs(s.fit_out)
        args = jobs.fit_args(s.preset, real, out, s.fit_iters, s.seed)
        return jobs.Job("Fit", jobs.dgan_argv(python, "fit", *args),
                        progress=jobs.metrics_progress(out, s.fit_iters), result=out)

    def load_result(self, context, job):
        params = job.result / "params.toml"
        s = context.scene.dgan
        s.apply_params = s.render_params = str(params)
        if s.fit_apply:
            if bpy.app.background or context.window is None:
                bpy.ops.dgan.apply_params(wait=True)
            else:  # start the next job once this modal operator has ended
                win = context.window
                bpy.app.timers.register(lambda: _run_in(win, bpy.ops.dgan.apply_params), first_interval=0.1)
        return f"fitted parameters in {params}"


class DGAN_OT_apply_params(JobOperator, bpy.types.Operator):
    """Write learned parameters into this scene ('dgan apply') and reopen it"""

    bl_idname = "dgan.apply_params"
    bl_label = "Apply learned parameters"

    def make_job(self, context):
        env, jobs = _lib()
        python = self.require("apply")
        params = _abs(context.scene.dgan.apply_params)
        work = Path(tempfile.mkdtemp(prefix="dgan_apply_"))
        scene_in = work / "scene.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(scene_in), copy=True)
        stem = Path(bpy.data.filepath).stem if bpy.data.filepath else "scene"
        folder = Path(bpy.data.filepath).parent if bpy.data.filepath else work
        out = folder / f"{stem}_fitted.blend"
        return jobs.Job("Apply", jobs.dgan_argv(python, "apply", *jobs.apply_args(params, scene_in, out)),
                        result=out)

    def load_result(self, context, job):
        path = str(job.result)
        if bpy.app.background or context.window is None:
            bpy.ops.wm.open_mainfile(filepath=path)
        else:  # reopening from inside a modal handler is not allowed; do it right after
            bpy.app.timers.register(lambda: bpy.ops.wm.open_mainfile(filepath=path) and None,
                                    first_interval=0.1)
        return f"fitted scene {path}"


class DGAN_OT_render_dataset(JobOperator, bpy.types.Operator):
    """Render an annotated data set ('dgan render') in the background"""

    bl_idname = "dgan.render_dataset"
    bl_label = "Render dataset"

    def make_job(self, context):
        env, jobs = _lib()
        from dgan_blender.addon_support import fields

        s = context.scene.dgan
        python = self.require("render")
        out = _abs(s.render_out)
        params = _abs(s.render_params) if s.render_params else None
        args = jobs.render_args(s.preset, params, s.render_count, out, s.render_engine,
                                s.render_workers, s.seed, fields.overrides(s.preset, props.values(s)))
        return jobs.Job("Render dataset", jobs.dgan_argv(python, "render", *args),
                        progress=jobs.manifest_progress(out, s.render_count), result=out)

    def load_result(self, context, job):
        out = job.result
        shown = out / "contact.png"
        if not shown.is_file():
            shown = next(iter(sorted((out / "images").glob("*.png"))), None)
        if shown is not None:
            _show_image(shown)
        from dgan_blender.addon_support.jobs import count_lines

        return f"{count_lines(out / 'manifest.jsonl')} samples in {out}"


class DGAN_OT_measure(JobOperator, bpy.types.Operator):
    """Measure particle sizes on real micrographs ('dgan measure': prior, fit, render, train, segment, report) in the background"""

    bl_idname = "dgan.measure"
    bl_label = "Measure micrographs"

    def make_job(self, context):
        env, jobs = _lib()
        s = context.scene.dgan
        python = self.require("measure")
        out = _abs(s.measure_out)
        args = jobs.measure_args(_abs(s.measure_real), out, s.measure_preset.strip(), s.measure_budget, s.seed,
                                 _abs(s.measure_masks) if s.measure_masks else None, s.measure_resume)
        return jobs.MeasureJob(jobs.dgan_argv(python, "measure", *args), out)

    def load_result(self, context, job):
        report = job.result / "report.html"
        if not bpy.app.background:
            import webbrowser

            webbrowser.open(report.resolve().as_uri())
        return f"report {report}"


classes = (DGAN_OT_scene_job, DGAN_OT_fit, DGAN_OT_apply_params, DGAN_OT_render_dataset, DGAN_OT_measure)
