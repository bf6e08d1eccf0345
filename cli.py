"""Thin shim: ``python cli.py ARGS`` behaves exactly like ``dgan ARGS``."""

from dgan_blender.cli import main

if __name__ == "__main__":
    main()
