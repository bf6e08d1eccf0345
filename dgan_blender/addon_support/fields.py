"""The panel's scene fields, derived from the typed config (one source of truth).

The add-on shows a handful of :class:`~dgan_blender.config.SceneConfig` fields. Their
types, choices and preset values come from the dataclasses and TOML presets here, and
edits go back as ordinary ``KEY=VALUE`` overrides, so the panel, the CLI's ``--set`` and
the presets can never disagree about what a field means or allows.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from typing import Any, Literal

from ..config import SceneConfig, load_config

#: Dotted config paths the panel shows, in display order.
MAIN_FIELDS: tuple[str, ...] = (
    "image.width_px", "image.height_px", "image.pixel_size_nm",
    "particles.kind", "particles.shape", "particles.count", "particles.coverage",
    "particles.diameter.median_nm", "particles.diameter.sigma_log",
    "agglomerates.count", "agglomerates.placement", "agglomerates.layers",
    "imaging.mode", "particle_material.sem_base", "particle_material.sem_edge",
    "render.spp",
)

_UNITS = {"_px": "px", "_nm": "nm", "_deg": "degrees"}


@dataclass(frozen=True)
class FieldSpec:
    """What a UI needs to make one widget: kind is int, float, enum, str or bool."""

    path: str
    kind: str
    label: str
    description: str
    choices: tuple[str, ...] = ()

    @property
    def prop_name(self) -> str:
        """Blender property identifiers cannot contain dots."""
        return prop_name(self.path)


def prop_name(path: str) -> str:
    return path.replace(".", "__")


def _annotation(path: str) -> tuple[Any, type]:
    cls: Any = SceneConfig
    parts = path.split(".")
    for i, part in enumerate(parts):
        hints = typing.get_type_hints(cls)
        if part not in hints:
            raise KeyError(f"{path}: no such config field")
        tp = hints[part]
        if i < len(parts) - 1:
            cls = tp
    return tp, cls


def field_spec(path: str) -> FieldSpec:
    tp, owner = _annotation(path)
    name = path.rsplit(".", 1)[-1]
    unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "")
    label = name
    for suffix in _UNITS:
        label = label.removesuffix(suffix)
    label = label.replace("_", " ").capitalize() + (f" ({unit})" if unit else "")
    doc = (owner.__doc__ or "").strip().splitlines()[0]
    description = f"{path}: {doc}"
    if typing.get_origin(tp) is Literal:
        return FieldSpec(path, "enum", label, description, tuple(typing.get_args(tp)))
    kind = {int: "int", float: "float", str: "str", bool: "bool"}.get(tp)
    if kind is None:
        raise TypeError(f"{path}: {tp} cannot be shown as one field")
    return FieldSpec(path, kind, label, description)


def main_specs() -> list[FieldSpec]:
    return [field_spec(p) for p in MAIN_FIELDS]


def get_value(cfg: Any, path: str) -> Any:
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return cfg


def values_of(cfg: SceneConfig, paths: typing.Iterable[str] = MAIN_FIELDS) -> dict[str, Any]:
    return {p: get_value(cfg, p) for p in paths}


def preset_values(preset: str) -> dict[str, Any]:
    """The main fields as the preset sets them (what the panel resets to on a preset change)."""
    return values_of(load_config(preset))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    return a == b


def _clean(value: Any) -> Any:
    """Blender stores floats in single precision: 7.344 comes back as 7.3439998..."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def overrides(preset: str, values: dict[str, Any]) -> list[str]:
    """``KEY=VALUE`` strings for the fields that differ from the preset (TOML values)."""
    base = preset_values(preset)
    out = []
    for path, value in values.items():
        value = _clean(value)
        if path in base and _same(value, base[path]):
            continue
        out.append(f"{path}={json.dumps(value)}")
    return out


def config_for(preset: str, values: dict[str, Any]) -> SceneConfig:
    """The validated config the panel describes; a bad value raises a one-line ConfigError."""
    return load_config(preset, overrides(preset, values))


def check_all_fields_exist() -> None:
    """Fails loudly (at import in tests) if a config field was renamed under the panel."""
    for path in MAIN_FIELDS:
        field_spec(path)
    names = {f.name for f in dataclasses.fields(SceneConfig)}
    assert {p.split(".")[0] for p in MAIN_FIELDS} <= names
