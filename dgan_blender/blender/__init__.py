"""The bpy adapter: layouts into Blender scenes (``builder``), their Cycles renders and
instance masks (``render``), .blend files (``io``) and fitted values written into the
materials' nodes (``writeback``). The only package besides ``bridge.export``/``engine``
that imports bpy; nothing in the core imports it."""
