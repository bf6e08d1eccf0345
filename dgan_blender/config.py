"""The one typed configuration of a synthetic-microscopy scene.

Presets (TOML under ``assets/presets``), CLI flags, add-on fields and batch arguments
all become a :class:`SceneConfig`; they are merged in that order (defaults < preset <
user file < dotted overrides), so every entry point describes a scene the same way.
Every physical field carries its unit in its name (``_nm``, ``_px``, ``_deg``) or in
its docstring; dimensionless fields say so.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError

PRESET_DIR = Path(__file__).resolve().parent.parent / "assets" / "presets"


@dataclass
class SizeDistribution:
    """A size distribution in nm, truncated to [min_nm, max_nm].

    ``lognormal``: median_nm and sigma_log (std of ln(size), dimensionless);
    ``gaussian``: mean_nm and std_nm; ``uniform``: between min_nm and max_nm;
    ``fixed``: always mean_nm; ``bimodal``: a mixture of ``modes`` with ``weights``.
    """

    kind: Literal["lognormal", "gaussian", "uniform", "fixed", "bimodal"] = "lognormal"
    median_nm: float = 60.0
    sigma_log: float = 0.2
    mean_nm: float = 60.0
    std_nm: float = 10.0
    min_nm: float = 1.0
    max_nm: float = 1.0e6
    modes: list[SizeDistribution] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def typical_size(d: SizeDistribution) -> float:
    """The distribution's own typical value in nm (median, mean or midpoint; weighted
    over a mixture's modes), without quadrature or scipy (the Blender adapter calls it
    inside Blender's own Python): a length scale, e.g. how far an SEM surface looks for
    neighbours that shadow it."""
    if d.kind == "lognormal":
        return float(d.median_nm)
    if d.kind in ("gaussian", "fixed"):
        return float(d.mean_nm)
    if d.kind == "uniform":
        return 0.5 * float(d.min_nm + d.max_nm)
    if not d.modes:
        return float(d.median_nm)
    w = [float(x) for x in d.weights] or [1.0] * len(d.modes)
    return sum(wi * typical_size(m) for wi, m in zip(w, d.modes)) / sum(w)


@dataclass
class ImageConfig:
    """The detector frame: its size in px and the physical size of one pixel in nm."""

    width_px: int = 256
    height_px: int = 256
    pixel_size_nm: float = 7.344


# particle shape families with flat faces: shaded flat, not smoothed (here, not in
# geometry/, so the Blender adapter reads it without importing the geometry package)
FLAT_FACED = ("polyhedron", "cuboid", "rod", "plate")


@dataclass
class ParticleConfig:
    """What each particle looks like and how many there are.

    diameter: volume-equivalent diameter in nm (wires: the wire diameter in nm).
    count: number of particles (wires); 0 means derive it from ``coverage``, the
    dimensionless fraction of the field covered by projected particle area.
    coverage_max: 0, or the upper end of a per-image coverage drawn log-uniformly from
    coverage..coverage_max (real fields of view range from sparse to crowded, and a
    segmentation network must see both).
    elongation_min/max: dimensionless long/short axis ratio, drawn uniformly.
    facets: number of flat cutting planes per particle (0: smooth);
    facet_depth: how far facets cut in, as a dimensionless fraction of the radius.
    roughness: dimensionless amplitude of seeded low-frequency radial noise,
    as a fraction of the radius; roughness_lobes: its angular frequency (lobes).
    mesh_subdivisions: icosphere subdivision level of each particle mesh (3: 642 vertices).
    shape: the family of compact (kind "irregular") particles, all volume-equivalent to
    ``diameter``: "ellipsoid" rounded elongated solids with optional facets and roughness;
    "sphere"; "polyhedron" ``facets`` (>= 4) flat faces with sharp edges, their distances
    varied by ``facet_depth``; "cuboid" boxes and "rod" square prisms lying down, both
    ``elongation`` long per width; "plate" hexagonal platelets lying flat, ``elongation``
    = diameter / thickness. Sharp families ignore roughness; mesh_subdivisions 5 keeps
    their edges under a pixel at the presets' sizes.
    """

    kind: Literal["sphere", "irregular", "wire"] = "sphere"
    diameter: SizeDistribution = field(default_factory=SizeDistribution)
    count: int = 0
    coverage: float = 0.1
    coverage_max: float = 0.0
    elongation_min: float = 1.0
    elongation_max: float = 1.0
    facets: int = 0
    facet_depth: float = 0.1
    roughness: float = 0.0
    roughness_lobes: float = 3.0
    mesh_subdivisions: int = 3
    shape: Literal["ellipsoid", "sphere", "polyhedron", "cuboid", "rod", "plate"] = "ellipsoid"


@dataclass
class AgglomerateConfig:
    """How particles are arranged on the substrate.

    placement ``contact``: agglomerates grown by attaching each new particle in contact
    with one already placed (connected clusters); ``random``: non-overlapping random
    sequential placement. layers ``2d``: a monolayer resting on the substrate; ``3d``:
    stacks, new particles may rest on others. compactness (dimensionless, 0..1) pulls
    attachments towards the cluster's centre. overlap_tolerance: allowed
    interpenetration as a dimensionless fraction of the smaller particle's diameter.
    spread_nm: radius in nm of the area the agglomerate centres are drawn from around
    the field centre (0: the whole field).
    sizes ``even``: ``count`` agglomerates share the particles evenly; ``power``: each
    agglomerate's particle number k is drawn from P(k) ~ k^-size_exponent on
    1..max_size until the particles are used up (``count`` is then not used): dispersed
    powders show many single particles and short chains beside a few large clusters.
    """

    count: int = 3
    placement: Literal["contact", "random"] = "contact"
    layers: Literal["2d", "3d"] = "2d"
    compactness: float = 0.6
    overlap_tolerance: float = 0.02
    spread_nm: float = 0.0
    sizes: Literal["even", "power"] = "even"
    size_exponent: float = 2.0
    max_size: int = 40
    max_tries: int = 200


@dataclass
class WireConfig:
    """Nanowire networks (particles.kind = "wire").

    length: wire length distribution in nm; curvature_per_um: std of the change of
    direction in rad per µm of wire (0: straight); segment_nm: polyline step in nm;
    sides: number of vertices around the wire's circular cross-section.
    """

    length: SizeDistribution = field(
        default_factory=lambda: SizeDistribution(kind="lognormal", median_nm=5000.0, sigma_log=0.3)
    )
    curvature_per_um: float = 0.3
    segment_nm: float = 50.0
    sides: int = 12


@dataclass
class MaterialConfig:
    """Surface appearance.

    shading ``sem``: secondary-electron model, emission = sem_base + sem_edge *
    (1 - |cos(theta)|) ** sem_exponent, theta the angle between the surface normal and
    the beam (dimensionless image intensities, 0..1 is black..white); edges glow.
    sem_shadow (0..1): the share of that signal lost where the surface's view is blocked
    within sem_shadow_nm (0: the particles' median diameter) - secondary electrons from
    crevices and from particles lying under others reach the detector less (shadowing
    contrast); evaluated as cosine-weighted visibility, the same in Cycles (Ambient
    Occlusion node) and Mitsuba.
    shading ``principled``: the paper's Principled BSDF lit by ``lights``:
    base_color (linear RGB 0..1), roughness, metallic, specular (dimensionless 0..1).
    In transmission imaging (``imaging.mode``) ``shading`` is not used: the beam that
    reaches the detector is tr_level (the substrate's: the signal through the bare support)
    times exp(-sum of tr_attenuation_per_nm (1/nm) x path length (nm) through each
    particle) - Beer-Lambert in the mass-thickness crossed.
    """

    shading: Literal["sem", "principled"] = "sem"
    sem_base: float = 0.3
    sem_edge: float = 0.6
    sem_exponent: float = 2.0
    sem_shadow: float = 0.0
    sem_shadow_nm: float = 0.0
    base_color: list[float] = field(default_factory=lambda: [0.8, 0.8, 0.8])
    roughness: float = 0.5
    metallic: float = 0.0
    specular: float = 0.5
    tr_attenuation_per_nm: float = 0.01
    tr_level: float = 0.8


@dataclass
class ImagingConfig:
    """How the microscope forms contrast. ``se``: secondary electrons from the surface
    (SEM, HIM): the materials' ``shading``. ``transmission``: the beam through the
    specimen (TEM bright field, STEM, an SEM's transmission detector): dark particles on
    a bright ground, darker where the beam crosses more material."""

    mode: Literal["se", "transmission"] = "se"


@dataclass
class SubstrateConfig:
    """The support the particles lie on: a plane at z = 0 covering the field."""

    kind: Literal["plane"] = "plane"
    material: MaterialConfig = field(
        default_factory=lambda: MaterialConfig(sem_base=0.1, sem_edge=0.0, base_color=[0.1, 0.1, 0.1])
    )


@dataclass
class CameraConfig:
    """The microscope's view: orthographic top-down for SEM; tilt_deg about the x axis;
    perspective uses fov_deg (full horizontal angle in degrees)."""

    projection: Literal["orthographic", "perspective"] = "orthographic"
    tilt_deg: float = 0.0
    fov_deg: float = 20.0


@dataclass
class LightConfig:
    """A light for the principled path. kind sun/point/area; strength in Blender units
    (W/m^2 for sun, W for point/area); elevation_deg/azimuth_deg give its direction
    seen from the field centre; size_nm is an area light's edge or a point's radius."""

    kind: Literal["sun", "point", "area"] = "sun"
    strength: float = 3.0
    elevation_deg: float = 60.0
    azimuth_deg: float = 45.0
    size_nm: float = 500.0


@dataclass
class RenderConfig:
    """Blender render settings: samples per pixel (spp) of the plain render,
    and the number of CPU threads (0: all)."""

    engine: Literal["cycles"] = "cycles"
    spp: int = 16
    threads: int = 0


@dataclass
class SceneConfig:
    """A whole scene: frame, particles, arrangement, substrate, camera, lights, materials."""

    name: str = "custom"
    description: str = ""
    image: ImageConfig = field(default_factory=ImageConfig)
    particles: ParticleConfig = field(default_factory=ParticleConfig)
    agglomerates: AgglomerateConfig = field(default_factory=AgglomerateConfig)
    wires: WireConfig = field(default_factory=WireConfig)
    particle_material: MaterialConfig = field(default_factory=MaterialConfig)
    substrate: SubstrateConfig = field(default_factory=SubstrateConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    imaging: ImagingConfig = field(default_factory=ImagingConfig)
    lights: list[LightConfig] = field(default_factory=lambda: [LightConfig()])
    render: RenderConfig = field(default_factory=RenderConfig)
    # the fitted look shipped with a preset (``[fitted]``: meta and parameters, checked
    # by params_file when used) and its narrowed or widened fit bounds (``[bounds]``:
    # "particle.sem_base" = [low, high]); read with the preset, from the file the user
    # named, and carried by the config to every worker - never looked up again by name
    fitted: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def field_nm(self) -> tuple[float, float]:
        """Width and height of the imaged field in nm."""
        px = self.image.pixel_size_nm
        return self.image.width_px * px, self.image.height_px * px


# --------------------------------------------------------------------------- loading


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(tp: Any, value: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; nested dataclasses are built."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return _build(tp, value, where)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, allowed))}")
        return value
    if origin is dict:
        key_tp, item = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        if item is Any:
            return copy.deepcopy(value)
        return {str(k): _coerce(item, v, f"{where}.{k}") for k, v in value.items()}
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        errors = []
        for alt in typing.get_args(tp):
            try:
                return _coerce(alt, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if tp is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected nothing, got {value!r}")
        return None
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {_type_name(tp)}")  # pragma: no cover


def _build(cls: type, data: dict, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            prefix = f"{where}." if where else ""
            hint = f" (did you mean '{prefix}{near[0]}'?)" if near else f" (known: {', '.join(names)})"
            raise ConfigError(f"unknown field '{path}'{hint}")
        kwargs[key] = _coerce(hints[key], value, path)
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict:
    """The config as plain TOML-able data (the form saved beside every output)."""
    return dataclasses.asdict(cfg)


def deep_merge(base: dict, over: dict) -> dict:
    """Tables merge key by key; anything else in ``over`` replaces ``base``."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> dict:
    """``a.b.c=VALUE`` -> nested dict; VALUE is read as TOML (numbers, strings, lists),
    falling back to a bare string, so ``--set particles.kind=sphere`` works unquoted."""
    if "=" not in text:
        raise ConfigError(f"override '{text}': expected KEY=VALUE, e.g. particles.count=20")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    node: dict = {}
    out = node
    parts = key.split(".")
    for part in parts[:-1]:
        node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return out


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; give an existing TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None


def preset_path(name: str) -> Path:
    """A preset name (``tio2-sem``) or a path to a TOML file."""
    candidate = Path(name)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    path = PRESET_DIR / f"{name}.toml"
    if not path.exists():
        near = difflib.get_close_matches(name, list_presets(), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        raise ConfigError(f"unknown preset '{name}' (available: {', '.join(list_presets())}){hint}")
    return path


# tables of a preset file that describe it rather than the scene
NOT_SCENE = ("meta", "prior")


def preset_data(name: str) -> dict:
    """The tables of a preset that make its config (``[fitted]`` and ``[bounds]`` among
    them); ``[meta]`` and ``[prior]`` (how ``dgan prior`` found the geometry) are not."""
    data = read_toml(preset_path(name))
    return {k: v for k, v in data.items() if k not in NOT_SCENE}


def flag_overrides(size: int | None = None, spp: int | None = None) -> dict:
    """The typed flags every entry point shares (``--size``, ``--spp``) as config data."""
    extra: dict = {}
    if size is not None:
        extra["image"] = {"width_px": size, "height_px": size}
    if spp is not None:
        extra["render"] = {"spp": spp}
    return extra


def from_dict(data: dict, where: str = "") -> SceneConfig:
    cfg = _build(SceneConfig, data, where)
    validate(cfg)
    return cfg


def load_config(
    preset: str | None = "tio2-sem",
    overrides: list[str] | tuple[str, ...] = (),
    user_file: Path | None = None,
    extra: dict | None = None,
) -> SceneConfig:
    """defaults < preset < user TOML file < ``extra`` (typed flags) < dotted overrides."""
    data: dict = {}
    source = "defaults"
    if preset:
        source = str(preset_path(preset))
        data = preset_data(preset)
    if user_file is not None:
        source = str(user_file)
        data = deep_merge(data, {k: v for k, v in read_toml(Path(user_file)).items() if k not in NOT_SCENE})
    if extra:
        data = deep_merge(data, extra)
    for text in overrides:
        data = deep_merge(data, parse_override(text))
    try:
        return from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{Path(source).name}: {exc}") from None


# --------------------------------------------------------------------------- validation


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def validate_distribution(d: SizeDistribution, where: str) -> None:
    _check(d.min_nm >= 0, f"{where}.min_nm must be >= 0, got {d.min_nm}")
    _check(d.max_nm > d.min_nm, f"{where}.max_nm must be > min_nm ({d.min_nm}), got {d.max_nm}")
    if d.kind == "lognormal":
        _check(d.median_nm > 0, f"{where}.median_nm must be > 0, got {d.median_nm}")
        _check(d.sigma_log >= 0, f"{where}.sigma_log must be >= 0, got {d.sigma_log}")
    elif d.kind in ("gaussian", "fixed"):
        _check(d.mean_nm > 0, f"{where}.mean_nm must be > 0, got {d.mean_nm}")
        _check(d.std_nm >= 0, f"{where}.std_nm must be >= 0, got {d.std_nm}")
    elif d.kind == "uniform":
        _check(d.max_nm < 1.0e6, f"{where}.max_nm must be set for a uniform distribution")
    elif d.kind == "bimodal":
        _check(len(d.modes) >= 2, f"{where}.modes needs at least two distributions for 'bimodal'")
        _check(
            len(d.weights) == len(d.modes) and all(w >= 0 for w in d.weights) and sum(d.weights) > 0,
            f"{where}.weights needs one non-negative weight per mode ({len(d.modes)}), got {d.weights}",
        )
        for i, m in enumerate(d.modes):
            _check(m.kind != "bimodal", f"{where}.modes[{i}] cannot itself be bimodal")
            validate_distribution(m, f"{where}.modes[{i}]")


def validate(cfg: SceneConfig) -> None:
    im = cfg.image
    _check(im.width_px > 0, f"image.width_px must be > 0, got {im.width_px}")
    _check(im.height_px > 0, f"image.height_px must be > 0, got {im.height_px}")
    _check(im.width_px <= 16384 and im.height_px <= 16384, "image size must be <= 16384 px")
    _check(im.pixel_size_nm > 0, f"image.pixel_size_nm must be > 0, got {im.pixel_size_nm}")
    p = cfg.particles
    validate_distribution(p.diameter, "particles.diameter")
    _check(p.count >= 0, f"particles.count must be >= 0, got {p.count}")
    _check(0 <= p.coverage <= 1, f"particles.coverage must be in 0..1, got {p.coverage}")
    _check(p.coverage_max == 0 or p.coverage <= p.coverage_max <= 1,
           f"particles.coverage_max must be 0 or in coverage..1 ({p.coverage}..1), got {p.coverage_max}")
    _check(p.count > 0 or p.coverage > 0, "particles.count or particles.coverage must be > 0")
    _check(1 <= p.elongation_min <= p.elongation_max,
           f"particles.elongation_min/max must satisfy 1 <= min <= max, got {p.elongation_min}, {p.elongation_max}")
    _check(p.facets >= 0, f"particles.facets must be >= 0, got {p.facets}")
    _check(0 <= p.facet_depth < 1, f"particles.facet_depth must be in 0..1, got {p.facet_depth}")
    _check(0 <= p.roughness < 0.5, f"particles.roughness must be in 0..0.5, got {p.roughness}")
    _check(0 <= p.mesh_subdivisions <= 6, f"particles.mesh_subdivisions must be in 0..6, got {p.mesh_subdivisions}")
    _check(p.kind != "sphere" or p.shape in ("ellipsoid", "sphere"), f"particles.shape={p.shape!r} needs "
           "particles.kind = 'irregular' (kind 'sphere' is always round)")
    _check(p.shape != "polyhedron" or p.facets >= 4,
           f"particles.facets must be >= 4 for particles.shape = 'polyhedron' (its faces), got {p.facets}")
    a = cfg.agglomerates
    _check(a.count >= 0, f"agglomerates.count must be >= 0, got {a.count}")
    _check(0 <= a.compactness <= 1, f"agglomerates.compactness must be in 0..1, got {a.compactness}")
    _check(0 <= a.overlap_tolerance < 0.5, f"agglomerates.overlap_tolerance must be in 0..0.5, got {a.overlap_tolerance}")
    _check(a.spread_nm >= 0, f"agglomerates.spread_nm must be >= 0, got {a.spread_nm}")
    _check(a.size_exponent >= 0, f"agglomerates.size_exponent must be >= 0, got {a.size_exponent}")
    _check(a.max_size >= 1, f"agglomerates.max_size must be >= 1, got {a.max_size}")
    _check(a.max_tries > 0, f"agglomerates.max_tries must be > 0, got {a.max_tries}")
    w = cfg.wires
    validate_distribution(w.length, "wires.length")
    _check(w.curvature_per_um >= 0, f"wires.curvature_per_um must be >= 0, got {w.curvature_per_um}")
    _check(w.segment_nm > 0, f"wires.segment_nm must be > 0, got {w.segment_nm}")
    _check(w.sides >= 3, f"wires.sides must be >= 3, got {w.sides}")
    for where, m in (("particle_material", cfg.particle_material), ("substrate.material", cfg.substrate.material)):
        _check(len(m.base_color) == 3 and all(0 <= c <= 1 for c in m.base_color),
               f"{where}.base_color must be three numbers in 0..1, got {m.base_color}")
        for name in ("roughness", "metallic", "specular"):
            v = getattr(m, name)
            _check(0 <= v <= 1, f"{where}.{name} must be in 0..1, got {v}")
        _check(m.sem_base >= 0 and m.sem_edge >= 0, f"{where}.sem_base and sem_edge must be >= 0")
        _check(m.sem_exponent > 0, f"{where}.sem_exponent must be > 0, got {m.sem_exponent}")
        _check(0 <= m.sem_shadow <= 1, f"{where}.sem_shadow must be in 0..1, got {m.sem_shadow}")
        _check(m.sem_shadow_nm >= 0, f"{where}.sem_shadow_nm must be >= 0 (0: the median particle diameter)")
        _check(m.tr_attenuation_per_nm >= 0, f"{where}.tr_attenuation_per_nm must be >= 0 (1/nm), got {m.tr_attenuation_per_nm}")
        _check(m.tr_level >= 0, f"{where}.tr_level must be >= 0, got {m.tr_level}")
    _check(0 < cfg.camera.fov_deg < 180, f"camera.fov_deg must be in 0..180, got {cfg.camera.fov_deg}")
    _check(-80 <= cfg.camera.tilt_deg <= 80, f"camera.tilt_deg must be in -80..80, got {cfg.camera.tilt_deg}")
    for i, light in enumerate(cfg.lights):
        _check(light.strength >= 0, f"lights[{i}].strength must be >= 0, got {light.strength}")
        _check(light.size_nm >= 0, f"lights[{i}].size_nm must be >= 0, got {light.size_nm}")
    _check(cfg.render.spp > 0, f"render.spp must be > 0, got {cfg.render.spp}")
    _check(cfg.render.threads >= 0, f"render.threads must be >= 0, got {cfg.render.threads}")
