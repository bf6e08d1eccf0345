"""The one reader of fitted parameters: a ``params.toml`` written by ``dgan fit``, or a
preset's shipped ``[fitted]`` table.

Every reader (``dgan render --params``, ``dgan apply``, the add-on through them, data-set
workers) comes here, so a file is accepted or refused the same way everywhere: it must
be text and TOML, fitted for the preset it is applied to (the fit records the preset's
name in ``[meta]``), name exactly that preset's parameters - a truncated file is
refused, not silently rendered with defaults - and hold finite numbers inside the
preset's bounds. Each refusal is one line naming the file and the key.

Bounds come from :func:`dgan_blender.appearance.params.param_specs`, which imports neither
torch nor Mitsuba.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from pathlib import Path

from .config import SceneConfig
from .errors import DganError

FIELDS = ("value", "spread", "low", "high")
GIVE = "give the params.toml written by 'dgan fit'"


def read_params_toml(path: Path) -> dict:
    """The file's tables; unreadable, binary or malformed files are one-line errors."""
    path = Path(path)
    if path.is_dir():
        raise DganError(f"{path}: is a folder; {GIVE} (RUN/params.toml)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DganError(f"{path}: no such file; {GIVE}") from None
    except OSError as exc:
        raise DganError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__}); {GIVE}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:
        raise DganError(f"{path}: not a text file (binary data); {GIVE}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = " ".join(str(exc).split())
        raise DganError(f"{path}: not valid TOML ({detail}); {GIVE}") from None


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DganError(f"{where} is {v!r}, not a number; write a number, e.g. 0.5")
    if not math.isfinite(v):
        raise DganError(f"{where} is {v}; write a finite number")
    return float(v)


def specs_for(cfg: SceneConfig | None) -> dict[str, tuple[float, float]]:
    """name -> (low, high) of ``cfg``'s preset (the code's bounds for ``None``)."""
    from .appearance.params import param_specs

    specs = param_specs(cfg if cfg is not None else SceneConfig())
    return {n: (s.low, s.high) for n, s in specs.items()}


def validate(data: dict, where: str, cfg: SceneConfig | None, check_preset: bool = True) -> tuple[dict, dict]:
    """``(parameters, meta)`` of a params file's tables, every parameter a dict of the four
    FIELDS. ``cfg`` is the scene the values will be applied to; ``None`` checks the file
    against the preset it records (or the code's bounds when it records none)."""
    params, meta = data.get("parameters"), data.get("meta", {})
    if not isinstance(params, dict) or not params:
        raise DganError(f"{where}: no [parameters] table; {GIVE}")
    if not isinstance(meta, dict):
        raise DganError(f"{where}: 'meta' must be a table ([meta]); {GIVE}")
    fitted_for = meta.get("preset")
    if fitted_for is not None and not isinstance(fitted_for, str):
        raise DganError(f"{where}: meta.preset is {fitted_for!r}, not a preset name; {GIVE}")
    if cfg is None and fitted_for:
        from .config import load_config

        try:
            cfg = load_config(fitted_for)
        except DganError:
            cfg = None  # a preset file not present here: the code's bounds still apply
    elif cfg is not None and check_preset and fitted_for and fitted_for != cfg.name:
        raise DganError(f"{where}: fitted for preset '{fitted_for}', not '{cfg.name}'; use it with "
                        f"--preset {fitted_for}, or fit {cfg.name} ('dgan fit --preset {cfg.name}')")
    bounds = specs_for(cfg)
    preset = f"preset {cfg.name}" if cfg is not None else "the fit"
    out = {}
    for name, entry in params.items():
        key = f'{where}: parameters."{name}"'
        if name not in bounds:
            near = difflib.get_close_matches(name, list(bounds), n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"known: {', '.join(sorted(bounds))}"
            raise DganError(f"{key}: unknown parameter for {preset} ({hint})")
        out[name] = _entry(entry, key, bounds[name])
    missing = sorted(set(bounds) - set(out))
    if missing:
        raise DganError(f"{where}: parameters missing: {', '.join(missing)} ({preset} has {len(bounds)}; a truncated "
                        "file?); rerun 'dgan fit' or add them")
    return out, meta


def _entry(entry, key: str, bounds: tuple[float, float]) -> dict:
    lo, hi = bounds
    if not isinstance(entry, dict):
        entry = {"value": entry}
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise DganError(f"{key}.{unknown[0]}: unknown field (a parameter has {', '.join(FIELDS)})")
    if "value" not in entry:
        raise DganError(f"{key}: needs 'value'")
    e = {f: _number(entry[f], f"{key}.{f}") for f in FIELDS if f in entry}
    tol = 1e-6 * max(1.0, hi - lo)  # the fit writes 6 decimals
    low, high = e.get("low", lo), e.get("high", hi)
    if low < lo - tol or high > hi + tol or low > high:
        raise DganError(f"{key}: bounds [{low:g}, {high:g}] leave the preset's [{lo:g}, {hi:g}]; "
                        f"write bounds inside [{lo:g}, {hi:g}]")
    if not low - tol <= e["value"] <= high + tol:
        raise DganError(f"{key}.value = {e['value']:g} is outside [{low:g}, {high:g}]; write a value inside")
    spread = e.get("spread", 0.0)
    if spread < 0:
        raise DganError(f"{key}.spread = {spread:g} is negative; write 0 or more")
    return {"value": e["value"], "spread": spread, "low": max(low, lo), "high": min(high, hi)}


def load_params(path: Path, cfg: SceneConfig | None) -> tuple[dict, dict]:
    """A params.toml read and validated for ``cfg`` (see :func:`validate`)."""
    return validate(read_params_toml(path), str(path), cfg)
