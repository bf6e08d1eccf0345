"""``dgan measure``: from a folder of unannotated micrographs to a size distribution, as
named stages under one run folder (prior, fit, render, train, segment, report).

Blender-free orchestration: each stage is a library call of another package behind a
few-line adapter (:mod:`.adapters`); :mod:`.stages` runs them, skips finished ones and
makes every stage's output appear at once or not at all.
"""

from .api import measure  # noqa: F401
