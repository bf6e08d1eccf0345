"""Headless entry: ``blender -b -P addon/headless.py -- COMMAND ARGS`` (e.g. scene, render).

Blender runs this file as a plain script, so it finds the library the way the add-on does
(already importable, $DGAN_PROJECT, the add-on's preferences, the checkout this file sits
in, or $DGAN_PYTHON's project) and hands everything after ``--`` to
:func:`dgan_blender.addon_support.headless.main`. The exit code is the command's.
"""

import importlib.util
import os
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(  # project.py beside this file, not a package
    "dgan_addon_project", Path(__file__).resolve().parent / "project.py")
project = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(project)


def _prefs_python() -> tuple[str, str]:
    try:
        import bpy

        for addon in bpy.context.preferences.addons:
            p = getattr(addon, "preferences", None)
            if p is not None and hasattr(p, "python_env") and addon.module.endswith("dgan"):
                return p.python_env, p.project_root
    except Exception:
        pass
    return "", ""


def main() -> int:
    python, root = _prefs_python()
    python = os.environ.get("DGAN_PYTHON", "") or python
    if not project.connect(python, root):
        print("dgan: error: cannot find the dgan-blender library; set DGAN_PYTHON to the "
              "project's .venv (or the add-on preferences)", file=sys.stderr)
        return 2
    from dgan_blender.addon_support.headless import main as batch_main

    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    return batch_main(argv, python or None)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.exit(code)
