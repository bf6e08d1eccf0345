"""dgan-blender."""
