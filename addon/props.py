"""Scene settings shown in the panel, generated from the typed config's field specs.

Only the widgets are made here; types, choices and preset values come from
:mod:`dgan_blender.addon_support.fields`, so a field added to a preset or renamed in the
config shows up (or fails a test) without touching the add-on.
"""

from __future__ import annotations

import bpy
from bpy.props import (BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty,
                       StringProperty)

_cache: dict = {}  # Blender needs the enum item tuples kept alive


def _fields():
    from dgan_blender.addon_support import fields

    return fields


def load_preset(settings) -> None:
    """Copy the preset's values of the main fields into the panel."""
    f = _fields()
    for path, value in f.preset_values(settings.preset).items():
        name = f.prop_name(path)
        if f.field_spec(path).kind == "enum":
            value = str(value)
        setattr(settings, name, value)


def _on_preset(self, context):
    try:
        load_preset(self)
    except Exception as exc:  # a broken preset file must not break the UI
        print(f"dgan: preset {self.preset}: {exc}")


def values(settings) -> dict:
    """The panel's main field values, keyed by dotted config path."""
    f = _fields()
    return {s.path: getattr(settings, s.prop_name) for s in f.main_specs()}


def config(settings):
    """The validated SceneConfig the panel describes (raises a one-line ConfigError)."""
    return _fields().config_for(settings.preset, values(settings))


def _widget(spec, default):
    common = {"name": spec.label, "description": spec.description}
    if spec.kind == "enum":
        items = _cache.setdefault(spec.path, [(c, c, c) for c in spec.choices])
        return EnumProperty(items=items, default=str(default), **common)
    if spec.kind == "int":
        return IntProperty(default=int(default), min=0, **common)
    if spec.kind == "float":
        return FloatProperty(default=float(default), min=0.0, precision=3, **common)
    if spec.kind == "bool":
        return BoolProperty(default=bool(default), **common)
    return StringProperty(default=str(default), **common)


def _settings_class():
    f = _fields()
    from dgan_blender.config import list_presets

    presets = list_presets()
    first = "tio2-sem" if "tio2-sem" in presets else presets[0]
    defaults = f.preset_values(first)
    ann = {
        "preset": EnumProperty(name="Preset", items=_cache.setdefault("presets", [
            (n, n, f"Preset {n} (assets/presets/{n}.toml)") for n in presets]),
                               default=first, update=_on_preset,
                               description="Scene preset; choosing one loads its values below"),
        "seed": IntProperty(name="Seed", default=0, min=0, description="Seed of the layout and the render"),
        "fit_real": StringProperty(name="Real images", subtype="DIR_PATH",
                                   description="Folder of real micrographs (TIFF/PNG/JPEG)"),
        "fit_out": StringProperty(name="Run folder", subtype="DIR_PATH", default="//dgan_run",
                                  description="Where dgan fit writes params.toml, metrics, checkpoints"),
        "fit_iters": IntProperty(name="Iterations", default=200, min=1),
        "fit_apply": BoolProperty(name="Apply when done", default=True,
                                  description="Write the fitted parameters into this scene afterwards"),
        "apply_params": StringProperty(name="Parameters", subtype="FILE_PATH",
                                       description="params.toml written by dgan fit"),
        "render_params": StringProperty(name="Parameters", subtype="FILE_PATH",
                                        description="params.toml (empty: the preset's shipped values)"),
        "render_count": IntProperty(name="Count", default=16, min=1),
        "render_out": StringProperty(name="Output folder", subtype="DIR_PATH", default="//dgan_data"),
        "render_engine": EnumProperty(name="Engine", items=[
            ("mitsuba", "Mitsuba", "The differentiable bridge: fast, identical to the fit"),
            ("cycles", "Cycles", "Blender's Cycles")], default="mitsuba"),
        "measure_real": StringProperty(name="Micrographs", subtype="DIR_PATH",
                                       description="Folder of unannotated micrographs to measure"),
        "measure_out": StringProperty(name="Run folder", subtype="DIR_PATH", default="//dgan_measure",
                                      description="Where dgan measure writes its stages and report.html"),
        "measure_preset": StringProperty(name="Geometry preset", default="tio2-sem",
                                         description="Preset name or TOML file (empty: infer it from the images)"),
        "measure_budget": FloatProperty(name="Budget (min)", default=60.0, min=1.0,
                                        description="Wall-clock budget the stages are sized for"),
        "measure_masks": StringProperty(name="Masks (optional)", subtype="DIR_PATH",
                                        description="Manual masks, only to score the run"),
        "measure_resume": BoolProperty(name="Resume", default=False,
                                       description="Continue a killed or cancelled run in the same folder"),
        "render_workers": IntProperty(name="Workers", default=1, min=0,
                                      description="Local worker processes (0: in the job's process)"),
    }
    for spec in f.main_specs():
        ann[spec.prop_name] = _widget(spec, defaults[spec.path])
    return type("DGAN_SceneSettings", (bpy.types.PropertyGroup,), {"__annotations__": ann})


_registered: list = []


def register() -> None:
    cls = _settings_class()
    bpy.utils.register_class(cls)
    bpy.types.Scene.dgan = PointerProperty(type=cls)
    _registered.append(cls)


def unregister() -> None:
    if hasattr(bpy.types.Scene, "dgan"):
        del bpy.types.Scene.dgan
    while _registered:
        bpy.utils.unregister_class(_registered.pop())


def registered() -> bool:
    return bool(_registered)
