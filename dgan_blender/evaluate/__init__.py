"""Segmentation benchmark: how well a network trained on some annotated set (synthetic or
real) segments real micrographs. Library code behind ``dgan eval`` and ``dgan segment``."""
