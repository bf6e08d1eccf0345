"""The geometry prior: a scene preset estimated from unannotated micrographs (issue 16)."""
