"""Ship a fit with a preset: replace the preset's ``[fitted]`` tables with a ``dgan fit``
run's params.toml (values, spreads, bounds and the meta that says by which command and
data they were fitted), keeping everything above them byte for byte.

    .venv/bin/python scripts/ship_fit.py out/fit_v2/params.toml assets/presets/tio2-sem.toml \\
        --note "realism on the 10 held-out images 297.9 -> 140.1 (ratio 0.47)"
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

MARK = "# --- fitted parameters (shipped)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", type=Path)
    ap.add_argument("preset", type=Path)
    ap.add_argument("--note", default="", help="one comment line on what the fit achieved")
    a = ap.parse_args(argv)
    from dgan_blender.config import load_config
    from dgan_blender.errors import DganError
    from dgan_blender.params_file import load_params

    try:  # the reader 'dgan render' uses: a fit of this preset, complete and in bounds
        load_params(a.params, load_config(str(a.preset)))
        text = a.params.read_text()
    except DganError as e:
        print(f"ship_fit: {e}", file=sys.stderr)
        return 2
    body = [line for line in text.splitlines() if not line.startswith("#")]
    body = "\n".join(re.sub(r"^\[(meta|parameters)", r"[fitted.\1", line) for line in body).strip()
    head = a.preset.read_text().split(MARK)[0].rstrip()
    note = f"# {a.note}\n" if a.note else ""
    out = (f"{head}\n\n{MARK}: used by `dgan render` when no --params is given.\n{note}{body}\n")
    tomllib.loads(out)  # never ship a preset that does not parse
    tmp = a.preset.with_suffix(".tmp")
    tmp.write_text(out)
    tmp.replace(a.preset)
    print(f"ship_fit: {a.preset} now ships {a.params}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
