"""Library side of the Blender add-on.

The add-on (``addon/``) is a thin bpy shell; everything it decides lives here so the CLI,
the batch entry and the tests share it. Modules here import only the standard library
and numpy at top level because Blender's own Python (4.3: Python 3.13, numpy 2.2) has
nothing else; work that needs the project's heavier dependencies (scipy, opencv, torch)
runs in the project's Python environment as a child process (see :mod:`.env`).
"""
