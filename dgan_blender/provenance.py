"""What made a run folder (a data set, a fit, a trained model), so a rerun into it either
continues the same job or is refused - never two jobs mixed in one folder.

Each folder keeps ``run.json``: the settings that decide its content (preset, look, seed,
size, engine, ...) plus the package version. A rerun compares its own settings with the
record and names the first field that differs, with the flag that starts over.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__
from .errors import DganError
from .io import write_json

RECORD = "run.json"


def describe(**fields) -> dict:
    """A record of the given settings plus the version that wrote them. Values must be
    JSON-serialisable (paths as strings, digests instead of file contents)."""
    return {**json.loads(json.dumps(fields, default=str)), "dgan_version": __version__}


def file_digest(path: Path | None) -> str | None:
    """sha256 of a file's bytes (16 hex digits), None for no file: identifies a params
    file or a model by content, not by a name that can be edited behind it."""
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def files_digest(paths) -> str:
    """One digest over several files (names and bytes), e.g. a folder of micrographs."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def read(folder: Path) -> dict | None:
    path = Path(folder) / RECORD
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DganError(f"{path}: unreadable run record ({exc.__class__.__name__}); "
                        "delete it only if this folder holds nothing you want to keep") from None
    if not isinstance(record, dict):
        raise DganError(f"{path}: not a run record; delete it or choose another folder")
    return record


def difference(old: dict, new: dict, prefix: str = "") -> str | None:
    """The first field whose value differs, as 'field: old -> new', or None. Fields are
    taken in the new record's order (its readable settings before a whole config), and
    a table is descended into, so the line names 'config.render.spp', not two dicts."""
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                return difference(a, b, f"{prefix}{key}.")
            return f"{prefix}{key}: {a!r} -> {b!r}"
    return None


def claim(folder: Path, record: dict, what: str, restart_flag: str) -> bool:
    """Makes ``folder`` this job's: writes the record on first use, returns True when an
    earlier run of the same settings is being continued. A folder made by other settings
    is refused with one line naming the difference and ``restart_flag``."""
    folder = Path(folder)
    old = read(folder)
    if old is None:
        write_json(folder / RECORD, record)
        return False
    diff = difference(old, record)
    if diff is not None:
        raise DganError(f"{folder}: this {what} was made with other settings ({diff}); "
                        f"choose another folder, or pass {restart_flag} to start it over")
    return True


def claim_resumable(out: Path, record: dict, what: str, resume: bool, ours: bool) -> None:
    """Makes ``out`` this job's run folder, for jobs that continue only with ``--resume``
    (a fit, a measure run): a used folder needs it, a resume needs the settings the
    run was made with (one line names the first that differs). ``ours``: the folder
    holds this kind of job's files, so ``--resume`` may continue it."""
    out = Path(out)
    for f in (out, *out.parents):
        if f.exists() and not f.is_dir():
            raise DganError(f"--out {out}: {f} is a file; give a folder for the run")
    old = read(out)
    used = out.is_dir() and any(out.iterdir())
    ours = ours or old is not None
    if used and not resume:
        raise DganError(f"{out}: already holds {'a ' + what if ours else 'other files'}; pass --resume to "
                        f"continue {'it' if ours else 'a ' + what + ' there'}, or choose another --out")
    if used and not ours:
        raise DganError(f"{out}: holds files but no {what} to resume; choose another --out")
    if old is not None:
        diff = difference(old, record)
        if diff is not None:
            raise DganError(f"{out}: this {what} was made with other settings ({diff}); resume it with the "
                            "settings it was made with, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    claim(out, record, what, "another --out")  # writes the record on first use
