"""dgan-blender."""

try:  # the installed distribution's version; Blender's own Python may run the bare package
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("dgan-blender")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "unknown"
