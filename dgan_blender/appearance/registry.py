"""Every fitted appearance parameter, declared once.

A parameter's full name is ``GROUP.ATTR`` (``particle.sem_base``, ``light.gain``,
``noise.blur_sigma_px``). ``particle``/``substrate`` values live in the config's material
of that class (``MaterialConfig.ATTR``), in the Blender material's node named ``node``
(its input ``socket``) and in the Mitsuba integrator's per-class array ``integrator``;
``light.gain`` scales the whole signal (every material's gain node, the integrators'
emitted values); ``noise`` values are the torch detector model's. Each belongs to the
imaging modes in ``modes``: a scene renders with its mode's parameters only.
"""

from __future__ import annotations

from dataclasses import dataclass

MATERIAL_GROUPS = ("particle", "substrate")


@dataclass(frozen=True)
class Param:
    attr: str
    bounds: dict  # group -> (low, high)
    modes: tuple[str, ...]
    unit: str
    node: str | None = None  # the Blender node holding the value
    socket: str | int = 1  # that node's input (a Math node's second operand, or a name)
    integrator: str | None = None  # the Mitsuba integrator's per-class array
    default: float | None = None  # for values that are not config fields (gain, noise)

    def names(self) -> list[str]:
        return [f"{g}.{self.attr}" for g in self.bounds]


_SE = ("se",)
_TR = ("transmission",)
_SIGNAL = "dimensionless signal (0..1 is black..white)"

PARAMS: tuple[Param, ...] = (
    # secondary electrons: emission = gain * (base + edge * (1 - |n.d|) ** exponent) * (1 - shadow * (1 - AO))
    Param("sem_base", {"particle": (0.0, 1.5), "substrate": (0.0, 1.0)}, _SE, _SIGNAL, "sem_base", 1, "base"),
    Param("sem_edge", {"particle": (0.0, 3.0), "substrate": (0.0, 2.0)}, _SE, _SIGNAL, "sem_edge", 1, "edge"),
    Param("sem_exponent", {"particle": (0.5, 8.0), "substrate": (0.5, 8.0)}, _SE, "dimensionless",
          "sem_exponent", 1, "exponent"),
    Param("sem_shadow", {"particle": (0.0, 1.0), "substrate": (0.0, 1.0)}, _SE, "share of the signal (0..1)",
          "sem_shadow", 1, "shadow"),
    # transmission: signal = gain * level * exp(-mu * path length); from faint (100 nm of
    # particle absorbs 1 %) to opaque (20 nm absorb 98 %)
    Param("tr_attenuation_per_nm", {"particle": (1.0e-4, 0.2)}, _TR, "1/nm", "tr_attenuation_per_nm",
          "Density", "mu"),
    Param("tr_level", {"substrate": (0.05, 1.5)}, _TR, _SIGNAL, "tr_level", 1, "level"),
    # beam current x detector gain, the SEM's 'light'
    Param("gain", {"light": (0.3, 3.0)}, _SE + _TR, "dimensionless factor", "sem_gain", 1, None, 1.0),
)

# The detector model's (appearance/detector.py) parameters: name: (default, low, high) - a clean
# detector by default, physical bounds
NOISE_PARAMS = {
    "blur_sigma_px": (0.5, 0.0, 3.0),
    "jitter_px": (0.0, 0.0, 2.0),
    "shot_gain": (0.002, 0.0, 0.05),
    "gamma": (1.0, 0.4, 2.5),
    "contrast": (1.0, 0.2, 3.0),
    "brightness": (0.0, -0.5, 0.5),
    "read_sigma": (0.01, 0.0, 0.2),
    "texture_fine": (0.0, 0.0, 0.15),
    "texture_coarse": (0.0, 0.0, 0.15),
    "texture_grain": (0.0, 0.0, 0.15),
}


def for_mode(mode: str) -> list[Param]:
    """The render-side parameters a scene of imaging ``mode`` renders with."""
    return [p for p in PARAMS if mode in p.modes]


def by_node(node: str) -> Param | None:
    """The parameter a Blender node of this name holds, if any."""
    return next((p for p in PARAMS if p.node == node), None)


def find(name: str) -> Param | None:
    """The parameter of a full name (``particle.sem_base``), if any."""
    group, _, attr = name.partition(".")
    return next((p for p in PARAMS if p.attr == attr and group in p.bounds), None)


def material_value(p: Param, material) -> float:
    """The value a config material (``MaterialConfig``) gives parameter ``p``."""
    return float(getattr(material, p.attr)) if p.default is None else float(p.default)
