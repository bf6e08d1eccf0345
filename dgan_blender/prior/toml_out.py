"""A preset as TOML text (the project reads TOML with tomllib, which cannot write)."""

from __future__ import annotations

import json
import math


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return json.dumps(str(v))
        return repr(round(v, 6))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def _is_table_list(v) -> bool:
    return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)


def dumps(data: dict, prefix: str = "") -> str:
    """Scalars first, then sub-tables, then arrays of tables, as TOML expects."""
    lines = []
    for k, v in data.items():
        if not isinstance(v, dict) and not _is_table_list(v):
            lines.append(f"{_key(k)} = {_value(v)}")
    out = "\n".join(lines)
    for k, v in data.items():
        name = f"{prefix}.{_key(k)}" if prefix else _key(k)
        if isinstance(v, dict):
            body = dumps(v, name)
            out += f"\n\n[{name}]\n" + body if body.strip() and not body.startswith("\n") else f"\n\n[{name}]" + body
        elif _is_table_list(v):
            for item in v:
                out += f"\n\n[[{name}]]\n" + dumps(item, name)
    return out.strip("\n") if not prefix else out


def write_preset(out, data: dict, header: str) -> None:
    """``header`` (comment lines) and ``data`` as a preset file, written only if it loads
    (through a temp file renamed into place: no half-written or unloadable preset)."""
    from pathlib import Path

    from ..config import load_config

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(header + dumps(data) + "\n")
    try:
        load_config(str(tmp))  # what is written must load
    except Exception:
        tmp.unlink()
        raise
    tmp.replace(out)
