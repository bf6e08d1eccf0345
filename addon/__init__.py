"""DGAN: annotated synthetic SEM micrographs, as a Blender extension.

The add-on is a shell over the dgan-blender library (the project's own source, found via
the preferences' Python environment): the panel's fields come from its typed config and
every operator calls its functions or its ``dgan`` command.
"""

from __future__ import annotations

import bpy

from . import job_ops, operators, panel, prefs, props

_classes = (prefs.DGAN_AddonPreferences, *operators.classes, *job_ops.classes)


def register() -> None:
    for cls in _classes:
        bpy.utils.register_class(cls)
    panel.register()
    if prefs.connect():  # else the panel asks for the environment and its Check registers them
        props.register()


def unregister() -> None:
    job = operators.ACTIVE.get("job")
    if job is not None:
        job.cancel()
    props.unregister()
    panel.unregister()
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
