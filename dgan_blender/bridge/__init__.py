"""The Mitsuba adapter: a Blender scene exported as plain data (``export``), loaded into
Mitsuba with the SEM or transmission integrator (``scene``, ``sem``, ``transmission``),
rendered differentiably into torch (``render``), one data-set sample (``sample_render``),
the Principled path (``principled``), Blender's render engine (``engine``) and the
Cycles-vs-Mitsuba check (``check``). What needs no Mitsuba lives elsewhere: parameters
and the detector model in ``appearance``, the layout pool in ``fit``."""
