"""The fitted appearance - material, signal and detector values - declared once.

Blender-free: :mod:`.registry` names every parameter a fit may change, with its unit,
default, bounds, material class and where it lives in the Blender node chain and the
Mitsuba integrator. The adapters (``blender/builder.py``, ``blender/writeback.py``,
``bridge/export.py``, ``bridge/scene.py``) and the fit (``bridge/params.py``) iterate it;
adding a parameter is its registry entry plus the two formulas that use it (the node
chain and the integrator).
"""
