"""The fitted appearance - material, signal and detector values - declared once.

Blender- and Mitsuba-free: :mod:`.registry` names every parameter a fit may change, with its unit,
default, bounds, material class and where it lives in the Blender node chain and the
Mitsuba integrator. The adapters (``blender/builder.py``, ``blender/writeback.py``,
``bridge/export.py``, ``bridge/scene.py``) and the fit (``appearance/params.py``) iterate it;
adding a parameter is its registry entry plus the two formulas that use it (the node
chain and the integrator). :mod:`.params` turns the registry into a fit's bounded
parameters, :mod:`.look` a fitted ``params.toml`` into per-sample values, and
:mod:`.detector` is the torch detector model both the fit and data sets apply.
"""
